"""A backup (database + key file) restores into a fresh database, and the canary subjects read
back decrypted with the restored keys; an existing database is never replaced silently."""
import json
import os
import stat
import subprocess
import tarfile

import psycopg2
import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import connection

from geogrid import keyfile
from layers.core.backup import BackupError, _pg_env, backup_create, backup_restore
from layers.subjects.fields import PREFIX

G1 = "310106013001001"


@pytest.fixture
def key_file(tmp_path, monkeypatch, settings):
    """The test run's field key, in a key file of the test's own (never the installation's)."""
    path = tmp_path / "keys.json"
    monkeypatch.setenv("GEOGRID_KEY_FILE", str(path))
    keyfile.write({"secret_key": "s" * 50, "field_key": "t", "field_keys": {"t": settings.GEOGRID_FIELD_KEY}}, path)
    settings.GEOGRID_BACKUP_DIR = tmp_path / "backups"
    return path


@pytest.fixture
def restored_name():
    name = settings.DATABASES["default"]["NAME"] + "_restored"
    yield name
    connection.close()
    subprocess.run(["dropdb", "--if-exists", name], env=_pg_env(settings.DATABASES["default"]), check=False)


def test_backup_restores_into_a_fresh_database_with_canaries_decrypted(transactional_db, demo_grids, key_file,
                                                                       restored_name, tmp_path):
    from layers.addresses.services import address_create
    from layers.subjects.services import subject_create

    p = demo_grids[G1].geometry.point_on_surface
    addr = address_create(full_text="静安区备份路1号", lon=p.x, lat=p.y, households=1)
    canaries = {}
    for i in range(5):
        s = subject_create(address=addr, name=f"备份金丝雀{i}", category="religious_figure",
                           phone=f"1380000{i:04d}", religion="佛教")
        canaries[s.pk] = (s.phone, s.religion)

    path = backup_create()
    assert path.parent == tmp_path / "backups" and path.name.endswith(".tar")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with tarfile.open(path) as tar:
        assert {"manifest.json", "db.dump", "keys.json"} <= set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["counts"]["subjects_subject"] >= 5

    # a fresh machine: no key file until the restore brings it
    os.unlink(key_file)
    done = backup_restore(path=path, target=restored_name)
    assert done["database"] == restored_name and done["safety_backup"] is None
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keys = MultiFernet([Fernet(k.encode()) for k in keyfile.field_keys(keyfile.read(key_file))])

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=restored_name, host=db["HOST"], user=db["USER"], password=db.get("PASSWORD") or None,
                            port=db.get("PORT") or None)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, phone, religion FROM subjects_subject WHERE id = ANY(%s)", [list(canaries)])
            rows = cur.fetchall()
    finally:
        conn.close()
    assert len(rows) == len(canaries)
    for pk, phone, religion in rows:
        assert phone.startswith(PREFIX) and "1380000" not in phone  # encrypted at rest in the restore too
        plain = tuple(keys.decrypt(v[len(PREFIX):].encode()).decode() for v in (phone, religion))
        assert plain == canaries[pk]


def test_restore_refuses_to_replace_an_existing_database_unless_asked(db, key_file, tmp_path):
    path = backup_create()
    with pytest.raises(BackupError, match="exists"):
        backup_restore(path=path, target=settings.DATABASES["default"]["NAME"])


def test_a_file_that_is_not_a_backup_is_refused(db, key_file, tmp_path):
    junk = tmp_path / "junk.tar"
    with tarfile.open(junk, "w") as tar:
        tar.add(key_file, arcname="../../etc/evil")
    with pytest.raises(BackupError, match="not a geogrid backup"):
        backup_restore(path=junk, target="whatever")
    (tmp_path / "plain.tar").write_bytes(b"not a tar at all")
    with pytest.raises(BackupError):
        backup_restore(path=tmp_path / "plain.tar", target="whatever")
