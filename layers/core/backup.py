"""Backup and restore: the database (pg_dump, custom format) and the key file in one tar.

Neither half is any use without the other: the dump holds sensitive values encrypted under the
field keys, and the keys decrypt nothing without the dump. Keep backups as carefully as the key
file itself (they are written 0600 in a 0700 folder).

    var/backups/20261202T134500Z.tar
      manifest.json   when, which database, what it held (counts), the format version
      db.dump         pg_dump --format=custom
      keys.json       the key file at the time of the dump
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

from geogrid import keyfile

FORMAT = 1
MEMBERS = {"manifest.json", "db.dump", "keys.json"}


class BackupError(Exception):
    pass


def backup_dir() -> Path:
    return Path(getattr(settings, "GEOGRID_BACKUP_DIR", settings.BASE_DIR / "var" / "backups"))


def _pg_env(db: dict) -> dict:
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _run(cmd: list[str], db: dict) -> None:
    out = subprocess.run(cmd, env=_pg_env(db), capture_output=True, text=True)
    if out.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {out.stderr.strip()[-2000:]}")


def _counts() -> dict:
    counts = {}
    with connection.cursor() as cur:
        for table in ("subjects_subject", "grids_grid", "incidents_incident", "addresses_address"):
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            if cur.fetchone()[0]:
                cur.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cur.fetchone()[0]
    return counts


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(dt.datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def backup_create(*, dest: Path | None = None, database: dict | None = None) -> Path:
    """Dump the database and the key file into one tar (mode 0600); returns its path."""
    db = database or settings.DATABASES["default"]
    keys_path = keyfile.path()
    keys = keys_path.read_bytes() if keys_path.exists() else None
    if keys is None:
        # Keys from the environment (docker-compose): the backup carries what this process uses.
        keys = json.dumps({"secret_key": settings.SECRET_KEY, "field_key": "env",
                           "field_keys": {"env": settings.GEOGRID_FIELD_KEY}}).encode()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = backup_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    dest = Path(dest) if dest else folder / f"{stamp}.tar"
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "db.dump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), db["NAME"]], db)
        manifest = {"format": FORMAT, "created_at": stamp, "database": db["NAME"], "counts": _counts()}
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w") as tar:
            _add(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
            _add(tar, "keys.json", keys)
            _add(tar, "db.dump", dump.read_bytes())
    return dest


def _read(path: Path) -> dict[str, bytes]:
    try:
        with tarfile.open(path, mode="r") as tar:
            names = set(tar.getnames())
            if not MEMBERS <= names:
                raise BackupError(f"{path} is not a geogrid backup (missing {', '.join(sorted(MEMBERS - names))})")
            # Only the known members are read, and never written to disk by their own names.
            return {n: tar.extractfile(n).read() for n in MEMBERS}
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from exc


def _merge_keys(backup_keys: dict) -> None:
    """Make the backup's field keys readable here. A machine without a key file takes the backup's
    whole; otherwise its own secret and current key stay, and the backup's keys are added for
    reading (`manage.py fieldkey_rotate --pending` then re-encrypts under the current one)."""
    path = keyfile.path()
    current = keyfile.read(path)
    if not current:
        keyfile.write(backup_keys, path)
        return
    merged = dict(current)
    merged["field_keys"] = {**{f"restored-{n}": k for n, k in (backup_keys.get("field_keys") or {}).items()
                               if k not in (current.get("field_keys") or {}).values()},
                            **(current.get("field_keys") or {})}
    if merged != current:
        keyfile.write(merged, path)


def _psql(db: dict, sql: str, **variables) -> str:
    """Run SQL on the maintenance database; values only as psql variables (:'name'), never pasted."""
    cmd = ["psql", "-X", "-Atq", "-v", "ON_ERROR_STOP=1"]
    for k, v in variables.items():
        cmd += ["-v", f"{k}={v}"]
    out = subprocess.run(cmd + ["postgres"], input=sql, env=_pg_env(db), capture_output=True, text=True)
    if out.returncode != 0:
        raise BackupError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def _database_exists(db: dict, name: str) -> bool:
    return _psql(db, "SELECT 1 FROM pg_database WHERE datname = :'n';", n=name) == "1"


def backup_restore(*, path: Path, target: str | None = None, replace: bool = False,
                   database: dict | None = None) -> dict:
    """Restore a backup into `target` (default: the project's database). An existing database is
    replaced only with `replace`, and then only after a backup of it is taken first."""
    db = dict(database or settings.DATABASES["default"])
    parts = _read(Path(path))
    manifest = json.loads(parts["manifest.json"])
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    target = target or db["NAME"]
    safety = None
    if _database_exists(db, target):
        if not replace:
            raise BackupError(f"database {target} exists: restore into another name, or replace it "
                              "(a backup of it is taken first)")
        safety = backup_create(database={**db, "NAME": target},
                               dest=backup_dir() / f"before-restore-{target}-"
                                                   f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%fZ}.tar")
        connection.close()
        _psql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = :'n' AND pid <> pg_backend_pid();", n=target)
        _run(["dropdb", target], db)
    _merge_keys(json.loads(parts["keys.json"]))
    _run(["createdb", "--template=template0", "--encoding=UTF8", target], db)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "db.dump"
        dump.write_bytes(parts["db.dump"])
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", target, str(dump)], db)
    return {"database": target, "manifest": manifest, "safety_backup": str(safety) if safety else None}
