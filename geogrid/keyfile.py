"""The key file: the secrets of one installation, generated on first set-up, never in git.

    var/keys.json (mode 0600; GEOGRID_KEY_FILE names another path)
    {"secret_key": "...",                       Django's SECRET_KEY
     "field_key": "k20261202T133000",           the name of the key new values are encrypted with
     "field_keys": {"k20261202T133000": "..."}} every Fernet key that may still be needed to read

Rotation (`manage.py fieldkey_rotate`) adds a key and names it current, re-encrypts every
sensitive value under it while the old keys still read, and only then drops the old keys.
Environment variables (DJANGO_SECRET_KEY, GEOGRID_FIELD_KEY) override the file, for deployments
that keep secrets elsewhere (docker-compose).

Plain Python, no Django: settings import it, and `python -m geogrid.keyfile ensure` runs at set-up.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT = BASE_DIR / "var" / "keys.json"


def path() -> Path:
    return Path(os.environ.get("GEOGRID_KEY_FILE") or DEFAULT)


def read(p: Path | None = None) -> dict:
    """The key file's content, or {} when there is none yet."""
    p = p or path()
    try:
        with open(p, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def write(data: dict, p: Path | None = None) -> None:
    """Replace the key file atomically, readable by its owner only (0600) from the first byte."""
    p = p or path()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _key_name(data: dict) -> str:
    name = "k" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    n = 1
    base = name
    while name in data.get("field_keys", {}):
        n += 1
        name = f"{base}-{n}"
    return name


def add_field_key(data: dict) -> str:
    """Add a new field key and make it the current one (the old ones stay, for reading)."""
    name = _key_name(data)
    data.setdefault("field_keys", {})[name] = new_fernet_key()
    data["field_key"] = name
    return name


def field_keys(data: dict) -> list[str]:
    """Every field key, the current one first (the order MultiFernet wants)."""
    keys = data.get("field_keys") or {}
    current = data.get("field_key")
    ordered = [keys[current]] if current in keys else []
    return ordered + [k for name, k in sorted(keys.items()) if name != current]


# Before key files existed, every checkout encrypted its demo data with this key, printed in the
# source and so public: it protects nothing. A checkout set up before (its database already
# exists) gets it in the new key file for reading only, so `make setup` can re-encrypt the old
# values under the new key (`fieldkey_rotate --pending`), which then drops it from the file.
LEGACY_PUBLIC_DEMO_KEY = "ZGVtby1rZXktZ2VvZ3JpZC1kZW1vLWtleS0zMmJ5dGU="


def ensure(p: Path | None = None, *, earlier_database: bool = False) -> bool:
    """Create the key file with fresh secrets if it is missing (or lacks an entry); True if written."""
    p = p or path()
    data = read(p)
    changed = False
    if not data.get("secret_key"):
        data["secret_key"] = secrets.token_urlsafe(50)
        changed = True
    if not data.get("field_keys"):
        add_field_key(data)
        if earlier_database:
            data["field_keys"]["legacy-public-demo"] = LEGACY_PUBLIC_DEMO_KEY
        changed = True
    if changed:
        write(data, p)
    elif p.exists() and (p.stat().st_mode & 0o077):
        os.chmod(p, 0o600)  # a copied or restored file keeps no group/other access
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        sys.exit("usage: python -m geogrid.keyfile ensure")
    if ensure(earlier_database=(BASE_DIR / "var" / "pg" / "data" / "PG_VERSION").exists()):
        print(f"[geogrid] generated secrets in {path()} (mode 0600; keep it out of git, back it up)")
