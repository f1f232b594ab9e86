"""fieldkey_rotate re-encrypts every sensitive value under the key named in the key file, old
keys reading until it is done, and loses none; the installation's own key file is never touched
(each test has its own, through GEOGRID_KEY_FILE)."""
import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from geogrid import keyfile
from layers.addresses.services import address_create
from layers.subjects.fields import PREFIX
from layers.subjects.models import Subject
from layers.subjects.rotation import encrypted_columns
from layers.subjects.services import subject_create

G1 = "310106013001001"


@pytest.fixture
def key_file(tmp_path, monkeypatch, settings):
    path = tmp_path / "keys.json"
    monkeypatch.setenv("GEOGRID_KEY_FILE", str(path))
    monkeypatch.delenv("GEOGRID_FIELD_KEY", raising=False)
    data = {"secret_key": "x" * 50}
    keyfile.add_field_key(data)
    keyfile.write(data, path)
    settings.GEOGRID_FIELD_KEYS_FOLLOW_FILE = True
    return path


@pytest.fixture
def canaries(demo_grids, key_file):
    p = demo_grids[G1].geometry.point_on_surface
    addr = address_create(full_text="静安区金丝雀路1号", lon=p.x, lat=p.y, households=1)
    made = []
    for i in range(25):
        s = subject_create(address=addr, name=f"金丝雀{i}", category="ethnic_minority", phone=f"1390000{i:04d}",
                           id_number=f"31010119900101{i:04d}", ethnicity="回族" if i % 2 else "",
                           religion="伊斯兰教" if i % 3 else "")
        made.append(s)
    return {s.pk: (s.phone, s.id_number, s.ethnicity, s.religion) for s in made}


def _raw(pk):
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM subjects_subject WHERE id = %s", [pk])
        return cur.fetchone()[0]


def _decrypts_with(stored, key):
    try:
        Fernet(key.encode()).decrypt(stored[len(PREFIX):].encode())
        return True
    except InvalidToken:
        return False


def test_rotation_re_encrypts_every_value_under_the_new_key_and_loses_none(canaries, key_file):
    old_key = keyfile.field_keys(keyfile.read(key_file))[0]
    assert all(_decrypts_with(_raw(pk), old_key) for pk in canaries)
    call_command("fieldkey_rotate", "--new-key")
    data = keyfile.read(key_file)
    assert len(data["field_keys"]) == 1 and data["field_key"] in data["field_keys"]
    new_key = data["field_keys"][data["field_key"]]
    assert new_key != old_key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    for pk, values in canaries.items():
        raw = _raw(pk)
        assert _decrypts_with(raw, new_key) and not _decrypts_with(raw, old_key)
        s = Subject.objects.get(pk=pk)
        assert (s.phone, s.id_number, s.ethnicity, s.religion) == values


def test_old_keys_read_until_the_rotation_is_done(canaries, key_file):
    data = keyfile.read(key_file)
    keyfile.add_field_key(data)  # an operator names a new key current; old values still read
    keyfile.write(data, key_file)
    first = next(iter(canaries))
    assert Subject.objects.get(pk=first).phone == canaries[first][0]
    call_command("fieldkey_rotate", "--keep-old")
    assert len(keyfile.read(key_file)["field_keys"]) == 2
    call_command("fieldkey_rotate", "--pending")
    assert len(keyfile.read(key_file)["field_keys"]) == 1
    assert [Subject.objects.get(pk=pk).phone for pk in canaries] == [v[0] for v in canaries.values()]


def test_a_value_no_key_reads_stops_the_rotation_before_any_change(canaries, key_file):
    foreign = Fernet(Fernet.generate_key()).encrypt(b"13700000000").decode()
    victim = next(iter(canaries))
    with connection.cursor() as cur:
        cur.execute("UPDATE subjects_subject SET id_number = %s WHERE id = %s", [PREFIX + foreign, victim])
    before_file = key_file.read_text()
    before = {pk: _raw(pk) for pk in canaries}
    with pytest.raises(CommandError, match="decrypt under no key"):
        call_command("fieldkey_rotate", "--new-key")
    # the new key was added (the file is written first), the old one kept; no value was touched
    data = keyfile.read(key_file)
    assert len(data["field_keys"]) == 2 and before_file != key_file.read_text()
    assert {pk: _raw(pk) for pk in canaries} == before


def test_every_sensitive_column_is_covered():
    cols = {f"{t}.{c}" for t, _, c in encrypted_columns()}
    assert {"subjects_subject.phone", "subjects_subject.id_number", "subjects_subject.ethnicity",
            "subjects_subject.religion"} <= cols
