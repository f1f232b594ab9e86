"""Settings shared by every environment. Environment files import * from here."""
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

from .gis_libs import GDAL_LIBRARY_PATH, GEOS_LIBRARY_PATH  # noqa: F401

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-dev-key-change-me")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "layers.core",
    "layers.grids",
    "layers.staff",
    "layers.addresses",
    "layers.subjects",
    "layers.incidents",
    "layers.overview",
    "layers.plans",
    "layers.open311",
    "layers.ogc",
    "maps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "layers.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "layers.core.middleware.RuleViolationMiddleware",
]

ROOT_URLCONF = "geogrid.urls"
WSGI_APPLICATION = "geogrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "layers.core.context.navigation",
            ],
        },
    },
]


def _database_from_env() -> dict:
    """DATABASE_URL (postgres://user:pass@host:port/name) or the embedded cluster in var/pg."""
    url = os.environ.get("DATABASE_URL")
    if url:
        u = urlparse(url)
        return {
            "ENGINE": "django.contrib.gis.db.backends.postgis",
            "NAME": unquote(u.path.lstrip("/")),
            "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""),
            "HOST": unquote(u.hostname or ""),
            "PORT": str(u.port or ""),
        }
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": os.environ.get("GEOGRID_DB_NAME", "geogrid"),
        "USER": "postgres",
        "HOST": str(BASE_DIR / "var" / "pg" / "run"),
    }


DATABASES = {"default": _database_from_env()}
# Reuse connections: a new connection per request costs more than a point lookup.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

REST_FRAMEWORK = {
    # Basic first: its challenge makes anonymous API requests 401 with
    # `WWW-Authenticate: Basic realm="geogrid"` (GIS clients send credentials only after one).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "layers.staff.authentication.BasicOrTokenAuthentication",
        "layers.staff.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Logged in, and the role's row of the least-privilege table (layers.staff.access) is not "none".
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "layers.staff.access.RouteAccess"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "layers.core.api.exception_handler",
    # `?format=` names file formats (export, png, pdf) in this API, not DRF renderers.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "geogrid API",
    "DESCRIPTION": "Grid governance: grids, addresses, incidents, subjects, maps.",
    "VERSION": "0.1.0",
}

# --- the domain --------------------------------------------------------------------------
# One storage SRID for every geometry: CGCS2000 (EPSG:4490), the national datum. At map scale
# it equals WGS84 (they differ by centimetres), so GeoJSON out is usable as WGS84.
GEOGRID_SRID = 4490
# Grid levels: an integer depth with a name; the hierarchy may use any contiguous run of them.
GEOGRID_LEVELS = {
    1: _("district"),
    2: _("street"),
    3: _("residential area"),
    4: _("micro-grid"),
    5: _("building cluster"),
}
# Mainland China plus islands, generous: coordinates outside are refused at the edge.
GEOGRID_CHINA_BBOX = (73.0, 3.0, 135.5, 54.0)
# A base grid may stick out of its parent by at most this much area (digitising noise).
GEOGRID_PARENT_TOLERANCE_M2 = 1.0
# Overlap between base siblings smaller than this (m²) is float noise, not an overlap.
GEOGRID_OVERLAP_TOLERANCE_M2 = 0.01
# Household band per level, for flags and the planner (min, max).
GEOGRID_HOUSEHOLD_BAND = {3: (1000, 2000), 4: (200, 500), 5: (50, 80)}
# Points within this distance (m) of a grid edge are flagged "near boundary".
GEOGRID_NEAR_BOUNDARY_M = 5.0
# Overview: a grid is flagged when overdue cases are at least this share of its open cases.
GEOGRID_OVERDUE_SHARE_FLAG = 0.25
# Monthly assessment (考核): weights of the indicators (each on 0..1; the score is 100 x the
# weighted mean of those with a value), the households one staff member can serve fully, and
# the visits plus resolved cases a head or member is expected to record in a month.
GEOGRID_ASSESSMENT_WEIGHTS = {"closure_rate": 0.25, "on_time_rate": 0.25, "satisfaction": 0.2,
                              "visit_coverage": 0.2, "staffing": 0.1}
GEOGRID_HOUSEHOLDS_PER_STAFF_NORM = 300
GEOGRID_STAFF_MONTHLY_TARGET = 8
# Basemap: "none" (default: offline), "tianditu", "osm", or a local tile URL template.
GEOGRID_BASEMAP = os.environ.get("GEOGRID_BASEMAP", "none")
GEOGRID_TIANDITU_KEY = os.environ.get("GEOGRID_TIANDITU_KEY", "")
# Key for sensitive fields at rest (Fernet, urlsafe base64 of 32 bytes). Production must set it.
GEOGRID_FIELD_KEY = os.environ.get("GEOGRID_FIELD_KEY", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # A 404 is an answer here (a point in no grid), not a warning; the access log has them.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
