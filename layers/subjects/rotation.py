"""Field-key rotation: re-encrypt every sensitive value under the current key of the key file.

Order of work, so that no value is ever unreadable:
1. (--new-key) a new key is added to the key file and named current; the old keys stay, so every
   stored value still reads, and running workers follow the file and encrypt with the new key;
2. in one transaction, with writes to the encrypted tables held off (SHARE ROW EXCLUSIVE locks;
   reads go on), every value is decrypted with any known key and re-encrypted under the current
   one, then every value is checked to decrypt under the current key alone;
3. only then are the other keys dropped from the file (unless --keep-old), and the whole set is
   checked once more against the file as written; should anything fail that check, the old keys
   are put back for reading and the command says so.
A value that no known key decrypts stops the rotation before anything is written.
"""
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from geogrid import keyfile

from .fields import PREFIX, EncryptedTextField, _fernet


@dataclass
class RotationReport:
    key: str
    columns: list = field(default_factory=list)
    values: int = 0
    dropped: list = field(default_factory=list)


class RotationError(Exception):
    pass


def encrypted_columns() -> list[tuple[str, str, str]]:
    """(table, primary key column, column) of every EncryptedTextField of every model."""
    out = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedTextField):
                out.append((model._meta.db_table, model._meta.pk.column, f.column))
    return sorted(out)


def _rows(table, pk, col):
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT {q(pk)}, {q(col)} FROM {q(table)} WHERE {q(col)} <> '' AND {q(col)} IS NOT NULL "
                    f"ORDER BY {q(pk)}")
        return cur.fetchall()


def _check_all(columns, reader: Fernet | MultiFernet) -> list[str]:
    bad = []
    for table, pk, col in columns:
        for key, stored in _rows(table, pk, col):
            try:
                if not stored.startswith(PREFIX):
                    raise InvalidToken
                reader.decrypt(stored[len(PREFIX):].encode("ascii"))
            except InvalidToken:
                bad.append(f"{table}.{col} id={key}")
    return bad


def fieldkey_rotate(*, new_key: bool = False, keep_old: bool = False) -> RotationReport:
    """Re-encrypt every sensitive value under the key file's current key (see the module doc)."""
    path = keyfile.path()
    data = keyfile.read(path)
    if not data.get("field_keys"):
        raise ImproperlyConfigured(f"no field keys in {path}: run `make db` first")
    if new_key:
        keyfile.add_field_key(data)
        keyfile.write(data, path)
    name = data["field_key"]
    keys = keyfile.field_keys(data)  # current first
    everyone = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    current = Fernet(keys[0].encode("ascii"))
    columns = encrypted_columns()
    report = RotationReport(key=name, columns=[f"{t}.{c}" for t, _, c in columns])
    q = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cur:
            for table in sorted({t for t, _, _ in columns}):
                cur.execute(f"LOCK TABLE {q(table)} IN SHARE ROW EXCLUSIVE MODE")
        unreadable = _check_all(columns, everyone)
        if unreadable:
            raise RotationError(f"{len(unreadable)} value(s) decrypt under no key of {path} "
                                f"(first: {', '.join(unreadable[:5])}); nothing was changed")
        with connection.cursor() as cur:
            for table, pk, col in columns:
                for key, stored in _rows(table, pk, col):
                    token = everyone.rotate(stored[len(PREFIX):].encode("ascii"))
                    cur.execute(f"UPDATE {q(table)} SET {q(col)} = %s WHERE {q(pk)} = %s",
                                [PREFIX + token.decode("ascii"), key])
                    report.values += 1
        still_old = _check_all(columns, current)
        if still_old:
            raise RotationError(f"{len(still_old)} value(s) did not re-encrypt; nothing was changed")
        all_keys = dict(data["field_keys"])
        if not keep_old:
            report.dropped = sorted(n for n in all_keys if n != name)
            data["field_keys"] = {name: all_keys[name]}
            keyfile.write(data, path)
    _fernet.cache_clear()
    if report.dropped:
        # A worker that encrypted under an old key just before the locks were granted would have
        # written after the check above: look once more, against the file as written.
        late = _check_all(columns, current)
        if late:
            data["field_keys"] = all_keys  # the old keys go back, for reading
            keyfile.write(data, path)
            raise RotationError(f"{len(late)} value(s) were written under an old key during the rotation; "
                                "the old keys are kept for reading: run fieldkey_rotate again")
    return report
