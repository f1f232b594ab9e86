import os
import secrets
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Keys of this test run only, never the installation's: every test encrypts and signs with
# throwaway keys made here (the test database is rebuilt each run).
SECRET_KEY = secrets.token_urlsafe(50)
GEOGRID_FIELD_KEYS = [keyfile.new_fernet_key()]  # noqa: F405
GEOGRID_FIELD_KEY = GEOGRID_FIELD_KEYS[0]
GEOGRID_FIELD_KEYS_FOLLOW_FILE = False
# Several sessions may test at once on one cluster: each names its own test database.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": "test_geogrid" + (("_" + os.environ["TEST_DB_SUFFIX"]) if os.environ.get("TEST_DB_SUFFIX") else "")
}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Files the tests store (photos, demo avatars) stay out of the checkout.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "geogrid-test-media"
