"""Encrypted-at-rest model field for sensitive personal information.

Values are Fernet tokens (AES-128-CBC + HMAC, random IV) in the database, so the same
plaintext never gives the same stored text and nothing readable reaches a dump or a backup.
The price: no lookups or ordering on these columns, which is also the point."""
import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet(key: str, secret: str) -> Fernet:
    if not key:
        if not secret:
            raise ImproperlyConfigured("GEOGRID_FIELD_KEY (or SECRET_KEY) is needed to encrypt sensitive fields")
        # Development fallback only (production refuses to start without GEOGRID_FIELD_KEY).
        key = base64.urlsafe_b64encode(hashlib.sha256(("geogrid-field-key:" + secret).encode()).digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def fernet() -> Fernet:
    return _fernet(settings.GEOGRID_FIELD_KEY, settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("sensitive column holds a value that was not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("sensitive column cannot be decrypted with GEOGRID_FIELD_KEY") from exc


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
