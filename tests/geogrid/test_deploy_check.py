"""Production settings pass Django's deployment checklist with nothing to report (HSTS, secure
cookies, SSL redirect, a generated secret key, DEBUG off, and a schema spectacular can name)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_under_production_settings_reports_nothing():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geogrid.settings.production"}
    env.pop("SECURE_COOKIES", None)
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert "System check identified no issues" in out.stdout
