"""The embedded cluster lets in only the project's OS user (and its own), by peer authentication
on a socket folder nobody else can enter: a dump taken as another OS user fails to connect."""
import os
import stat
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SOCK = ROOT / "var" / "pg" / "run"
embedded = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="uses the embedded cluster only")


@embedded
def test_socket_folder_is_closed_to_others():
    mode = stat.S_IMODE(SOCK.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)
    assert stat.S_IMODE((ROOT / "var" / "pg").stat().st_mode) & 0o077 == 0


@embedded
def test_no_trust_and_no_tcp_in_pg_hba():
    out = subprocess.run(["psql", "-h", str(SOCK), "-U", "postgres", "-XAtqc",
                          "SELECT type, auth_method FROM pg_hba_file_rules", "postgres"],
                         capture_output=True, text=True, check=True)
    rules = [tuple(line.split("|")) for line in out.stdout.split()]
    assert rules and all(r == ("local", "peer") for r in rules), rules


@embedded
@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another OS user needs root")
def test_a_dump_as_another_os_user_fails_to_connect():
    db = settings.DATABASES["default"]["NAME"]
    for cmd in (f"pg_dump -h {SOCK} -U postgres {db}", f"psql -h {SOCK} -U postgres -c 'select 1' postgres",
                f"psql -h {SOCK} -U {db} -c 'select 1' postgres"):
        out = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", cmd], capture_output=True, text=True)
        assert out.returncode != 0 and out.stdout == "", (cmd, out.stdout[:200])
        assert "Permission denied" in out.stderr or "authentication failed" in out.stderr, out.stderr
