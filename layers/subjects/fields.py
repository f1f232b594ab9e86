"""Encrypted-at-rest model field for sensitive personal information.

Values are Fernet tokens (AES-128-CBC + HMAC, random IV) in the database, so the same
plaintext never gives the same stored text and nothing readable reaches a dump or a backup.
The price: no lookups or ordering on these columns, which is also the point."""
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from layers.core.keys import field_keys

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("No field key: run `make db` (it writes var/keys.json) or set GEOGRID_FIELD_KEY")
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


def fernet() -> MultiFernet:
    """Encrypts with the current field key, decrypts with any key still in the key file."""
    return _fernet(tuple(field_keys()))


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("sensitive column holds a value that was not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("sensitive column cannot be decrypted with any key of the key file") from exc


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; the empty string stays empty (nothing to hide)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
