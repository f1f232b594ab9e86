"""Settings shared by every environment. Environment files import * from here."""
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

from geogrid import keyfile

from .gis_libs import GDAL_LIBRARY_PATH, GEOS_LIBRARY_PATH  # noqa: F401

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Secrets come from the key file that set-up generates (var/keys.json, mode 0600, outside git;
# see geogrid/keyfile.py), or from the environment, which wins. None is written in the source.
_KEYS = keyfile.read()
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _KEYS.get("secret_key", "")
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
    "axes",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "layers.core",
    "layers.idempotency",
    "layers.audit",
    "layers.grids",
    "layers.staff",
    "layers.addresses",
    "layers.subjects",
    "layers.incidents",
    "layers.overview",
    "layers.patrols",
    "layers.networks",
    "layers.offline",
    "layers.residents",
    "layers.routines",
    "layers.plans",
    "layers.field",
    "layers.imports",
    "layers.open311",
    "layers.ogc",
    "maps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzip-compressed (static files come compressed from whitenoise above,
    # which answers before this runs). Django pads each body against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "layers.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Bodies and URL values checked before any view (NUL, bigint ids): layers/core/edge.py.
    "layers.core.edge.EdgeValidationMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "layers.core.security.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "layers.core.security.SecurityHeadersMiddleware",
    "layers.core.ratelimits.RouteRateLimitMiddleware",
    "layers.core.middleware.RuleViolationMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
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
                "geogrid.navigation.navigation",
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
            "ENGINE": "layers.core.postgis",  # PostGIS, knowing the partitioned tables
            "NAME": unquote(u.path.lstrip("/")),
            "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""),
            "HOST": unquote(u.hostname or ""),
            "PORT": str(u.port or ""),
        }
    return {
        "ENGINE": "layers.core.postgis",  # PostGIS, knowing the partitioned tables
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
# django-axes first: it refuses a locked-out login before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
    "DEFAULT_SCHEMA_CLASS": "layers.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "layers.core.api.exception_handler",
    # Strict JSON with bounded nesting, no NUL; an object unless the view takes an array.
    "DEFAULT_PARSER_CLASSES": ["layers.core.edge.SafeJSONParser", "layers.core.edge.SafeFormParser",
                               "layers.core.edge.SafeMultiPartParser"],
    # `?format=` names file formats (export, png, pdf) in this API, not DRF renderers.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "geogrid API",
    "DESCRIPTION": "Grid governance: grids, addresses, incidents, subjects, maps.",
    "VERSION": "0.1.0",
    # Several models have a "kind": name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "GridKindEnum": "layers.grids.models.GridKind",
        "AddressKindEnum": "layers.addresses.models.AddressKind",
        "SubjectKindEnum": "layers.subjects.models.SubjectKind",
        "VisitKindEnum": "layers.subjects.models.VisitKind",
        "EventKindEnum": "layers.incidents.models.EventKind",
    },
    # /api/locate/ is a plain Django view (speed): the hook documents it for clients and fuzzers.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "layers.addresses.api.schema.add_locate"],
}

# --- the domain --------------------------------------------------------------------------
# One storage SRID for every geometry: CGCS2000 (EPSG:4490), the national datum. At map scale
# it equals WGS84 (they differ by centimetres), so GeoJSON out is usable as WGS84.
GEOGRID_SRID = 4490
# Input limits, each refused with a 400 naming it: a geometry's vertices per ring (or line) and
# rings per polygon (checking a boundary is superlinear in its vertices), points in one locate
# batch, nesting depth of a JSON body.
GEOGRID_MAX_VERTICES = int(os.environ.get("GEOGRID_MAX_VERTICES", "20000"))
GEOGRID_MAX_RINGS = int(os.environ.get("GEOGRID_MAX_RINGS", "500"))
GEOGRID_MAX_BATCH = int(os.environ.get("GEOGRID_MAX_BATCH", "10000"))
# The hot path of single lookups (geogrid/hotpath.py) reads the grids' change token at most this
# often per process instead of once per lookup: a published change reaches it this much later.
GEOGRID_LOCATE_HOT_TOKEN_SECONDS = float(os.environ.get("GEOGRID_LOCATE_HOT_TOKEN_SECONDS", "0.1"))
# The hot path of grid tiles reads the auth-state token (layers/staff/authstate.py) at most this
# often per process: a reassignment, revocation or logout reaches it this much later.
GEOGRID_HOT_TOKEN_SECONDS = float(os.environ.get("GEOGRID_HOT_TOKEN_SECONDS", "0.1"))
GEOGRID_MAX_JSON_DEPTH = int(os.environ.get("GEOGRID_MAX_JSON_DEPTH", "32"))
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
# Keys for sensitive fields at rest (Fernet, urlsafe base64 of 32 bytes): the current one encrypts,
# all of them read (during a rotation). From the key file, or GEOGRID_FIELD_KEY in the environment.
GEOGRID_FIELD_KEYS = [os.environ["GEOGRID_FIELD_KEY"]] if os.environ.get("GEOGRID_FIELD_KEY") \
    else keyfile.field_keys(_KEYS)
GEOGRID_FIELD_KEY = GEOGRID_FIELD_KEYS[0] if GEOGRID_FIELD_KEYS else ""
# Running processes re-read the key file when it changes (a rotation adds and names a new key).
GEOGRID_FIELD_KEYS_FOLLOW_FILE = not os.environ.get("GEOGRID_FIELD_KEY")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # A 404 is an answer here (a point in no grid), not a warning; the access log has them.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}

# --- login, sessions, audit ----------------------------------------------------------------
# Ten wrong passwords (form, admin or basic auth) lock the account, and the address they came
# from, for AXES_COOLOFF_TIME; an administrator can lift it earlier (`manage.py axes_reset`).
AXES_FAILURE_LIMIT = int(os.environ.get("GEOGRID_LOGIN_FAILURES", "10"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = float(os.environ.get("GEOGRID_LOCKOUT_HOURS", "0.5"))  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "layers.core.lockout.lockout_response"
AXES_VERBOSE = False
# Behind a reverse proxy, set the number of proxies so the client's address is the one locked.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("GEOGRID_PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT \
    else ["REMOTE_ADDR"]
# A session ends after this long without a request, and this long after the login in any case.
GEOGRID_SESSION_IDLE_SECONDS = int(os.environ.get("GEOGRID_SESSION_IDLE_SECONDS", str(30 * 60)))
GEOGRID_SESSION_ABSOLUTE_SECONDS = int(os.environ.get("GEOGRID_SESSION_ABSOLUTE_SECONDS", str(8 * 3600)))
SESSION_COOKIE_AGE = GEOGRID_SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Audit events (logins, failures, lockouts, reveals, exports, publishes, role changes) are kept
# at least this many days; `manage.py audit_purge --commit` deletes older ones, never younger.
GEOGRID_AUDIT_KEEP_DAYS = int(os.environ.get("GEOGRID_AUDIT_KEEP_DAYS", "180"))

# --- load ----------------------------------------------------------------------------------
# The database cache: shared by every worker process (rate-limit counters must be), no extra
# server. `manage.py createcachetable` makes its table (make setup does).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "geogrid_cache"},
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
RATELIMIT_USE_CACHE = "default"
# Rates per client (django-ratelimit syntax): logins per address, exports per user, public
# routes per address.
GEOGRID_RATE_LOGIN = os.environ.get("GEOGRID_RATE_LOGIN", "30/m")
GEOGRID_RATE_EXPORT = os.environ.get("GEOGRID_RATE_EXPORT", "20/m")
GEOGRID_RATE_PUBLIC = os.environ.get("GEOGRID_RATE_PUBLIC", "120/m")
# Routes limited by name (kind, methods counted; None = all): logins by form, and what anonymous
# visitors may call. Exports are limited in their views (per user).
GEOGRID_RATE_ROUTES = {
    "login": ("login", ("POST",)),
    "admin:login": ("login", ("POST",)),
    "service-card": ("public", None),
    "staff-photo": ("public", None),
    "schema": ("public", None),
}
# An export query (CSV, XLSX, GeoPackage...) is cancelled by PostgreSQL after this long.
GEOGRID_EXPORT_TIMEOUT_MS = int(os.environ.get("GEOGRID_EXPORT_TIMEOUT_MS", "30000"))

# --- batch work on Dask (layers/core/cluster.py, layers/addresses/dask_engine.py) ------------
# A real cluster's scheduler (tcp://host:8786); empty: a LocalCluster on this machine per run.
GEOGRID_DASK_SCHEDULER = os.environ.get("GEOGRID_DASK_SCHEDULER", "")
GEOGRID_DASK_WORKERS = int(os.environ.get("GEOGRID_DASK_WORKERS", "2"))
GEOGRID_DASK_PROCESSES = os.environ.get("GEOGRID_DASK_PROCESSES", "1") == "1"
# The engine of the re-assignment after a boundary change: "postgis" (in the database, inside the
# change's transaction) or "dask" for changes of at least GEOGRID_DASK_MIN_GRIDS grids (a large
# plan; smaller ones stay in the database, where they cost milliseconds).
GEOGRID_ASSIGN_ENGINE = os.environ.get("GEOGRID_ASSIGN_ENGINE", "postgis")
GEOGRID_DASK_MIN_GRIDS = int(os.environ.get("GEOGRID_DASK_MIN_GRIDS", "50"))

# --- security headers ----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # no page of geogrid is meant to be framed


def _basemap_hosts(choice: str) -> list[str]:
    """Origins the configured basemap loads tiles from (see maps/basemap.py)."""
    low = (choice or "none").strip().lower()
    if low == "tianditu":
        return ["https://*.tianditu.gov.cn"]
    if low == "osm":
        return ["https://tile.openstreetmap.org"]
    if low in ("gaode", "amap"):
        return ["https://*.is.autonavi.com"]
    if "{z}" in low:
        u = urlparse(choice)
        if u.scheme and u.netloc:
            # a subdomain placeholder ({s}.tiles.example) becomes a wildcard
            host = "*." + u.netloc.split(".", 1)[-1] if "{" in u.netloc else u.netloc
            return [f"{u.scheme}://{host}"]
    return []


# Scripts and styles only from this origin. Inline scripts (folium writes each map as one) run
# only with the per-response nonce that layers.core.security.SecurityHeadersMiddleware adds to
# script-src; no inline event handlers. 'unsafe-inline' stays for styles only (Leaflet and folium
# set style attributes). Everything else (fetch, images, fonts, frames, plugins, form targets) is
# held to this origin, so injected markup cannot load or send anything elsewhere.
GEOGRID_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src " + " ".join(["'self'", "data:", "blob:", *_basemap_hosts(GEOGRID_BASEMAP)]),
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "frame-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# django-axes reports each failure as a warning; the audit log keeps them (layers.audit).
LOGGING["loggers"]["axes"] = {"handlers": ["console"], "level": "ERROR", "propagate": False}
