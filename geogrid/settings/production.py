"""Deployment, and `make run` (with SECURE_COOKIES=0 on plain http). `manage.py check --deploy`
reports nothing under these settings."""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403

DEBUG = False
if not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("No SECRET_KEY: run `make db` (it writes var/keys.json) or set DJANGO_SECRET_KEY")
if not GEOGRID_FIELD_KEY:  # noqa: F405
    raise ImproperlyConfigured("No field key: run `make db` (it writes var/keys.json) or set GEOGRID_FIELD_KEY")

# HTTPS: cookies only over TLS, HSTS, http redirected. SECURE_COOKIES=0 turns all of it off for
# serving on plain http on this machine (`make run`); never behind a real address.
_TLS = os.environ.get("SECURE_COOKIES", "1") == "1"
SESSION_COOKIE_SECURE = _TLS
CSRF_COOKIE_SECURE = _TLS
SECURE_SSL_REDIRECT = _TLS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's health probe speaks plain http
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if _TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _TLS
SECURE_HSTS_PRELOAD = _TLS
# Behind a reverse proxy that terminates TLS (docker-compose, nginx): trust its scheme header.
if os.environ.get("GEOGRID_BEHIND_PROXY", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed and compressed (layers/core/staticstorage.py): whitenoise serves hashed names with a
    # year-long immutable Cache-Control, and the .gz copies to browsers that take them.
    "staticfiles": {"BACKEND": "layers.core.staticstorage.StaticStorage"},
}
