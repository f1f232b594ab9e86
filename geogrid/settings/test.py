import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
GEOGRID_FIELD_KEY = "dGVzdC1rZXktZ2VvZ3JpZC10ZXN0LWtleS0zMmJ5dGU="
# Several sessions may test at once on one cluster: each names its own test database.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": "test_geogrid" + (("_" + os.environ["TEST_DB_SUFFIX"]) if os.environ.get("TEST_DB_SUFFIX") else "")
}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Files the tests store (photos, demo avatars) stay out of the checkout.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "geogrid-test-media"
