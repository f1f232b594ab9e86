"""The hot paths: single lookups (GET /api/locate/?lon=&lat=[&crs=]) and grid tiles
(GET /tiles/{grids,special,coverage}/{z}/{x}/{y}.mvt[?level=]) answered in front of Django for
callers this process found logged in during the last AUTH_TTL (HOT_TTL) seconds.

What a lookup costs is mostly the framework around it (middleware, URL resolution, the session
row read by the session timeout): measured against `http_framework_floor` (bench/floor.py) the
full stack reached 0.08 of what gunicorn itself serves. This callable wraps the WSGI application
and leaves the framework behind only where nothing of it decides the answer:

- the auth is kept: the request is served here only when its session cookie or credential is in
  the locate view's cache of callers found logged in (layers/addresses/api/views.py, AUTH_TTL);
  anyone else goes through Django, whose answer (401, or 200 and the cache filled) is the rule;
- the answer is the view's own (`point_answer_body`: same body, same 404 texts, in the caller's
  language), and its headers are those Django gave this process's last answer to a lookup
  (security headers, CSP, no-store, Content-Language), learned per language; until one is
  learned, the request goes through Django;
- the grids are today's as of at most GEOGRID_LOCATE_HOT_TOKEN_SECONDS ago (0.1 s): the change
  token is read once per that interval per process, not once per lookup (its round trip and the
  database's work for it were half the cost of a lookup);
- no scope applies to a lookup (which grid holds a point is no person's data); host
  validation, the https redirect and a rate limit on the route, if configured, send it to Django;
- anything else (another parameter, a date, an address search, a POST, a bad value, an error)
  goes through Django unchanged.

Grid tiles differ per user (the coverage figures of their scope), so their hot path keeps the
scope too, not only the auth: the tile view remembers, per exact credentials (session cookie and
Authorization header together) and layer, the plan it built (scope, access to figures,
coarsening) with the auth-state token read before it (layers/staff/authstate.py), and the hot
path uses the plan only while that token is current, read at most every
GEOGRID_HOT_TOKEN_SECONDS: an assignment, token, account, logout or grid change sends the next
tile through Django (layers/ogc/tiles.py, hot_grid_tile). The body is the view's statement, the
ETag its hash, If-None-Match answered 304, headers learned from Django's last 200 tile.
"""
import re
import secrets
from urllib.parse import parse_qsl

from django.conf import settings
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.text import compress_string

PATH = "/api/locate/"
ROUTE = "address-locate"
_KEYS = {"lon", "lat", "crs"}
TILE = re.compile(r"^/tiles/(grids|special|coverage)/(\d{1,2})/(\d{1,9})/(\d{1,9})\.mvt$")
TILE_ROUTES = {"grids": "tiles-tile", "special": "tiles-tile", "coverage": "tiles-coverage"}
# The hot locate body is never compressed; a hot tile is compressed here when the client asks.
_NOT_LEARNED = {"content-length", "set-cookie", "content-encoding", "etag"}
_STATUS = {200: "200 OK", 304: "304 Not Modified", 404: "404 Not Found"}
# Response headers per (route kind, language), learned from Django's own answers.
_learned: dict[tuple[str, str], list[tuple[str, str]]] = {}


def _pairs(environ, max_fields: int) -> dict | None:
    try:
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True, strict_parsing=True,
                          max_num_fields=max_fields)
    except ValueError:
        return None
    q = dict(pairs)
    return q if len(q) == len(pairs) else None


def _query(environ) -> dict | None:
    q = _pairs(environ, 3)
    if q is None or not {"lon", "lat"} <= q.keys() <= _KEYS:
        return None
    return q


def _tile_query(environ) -> dict | None:
    q = {} if not environ.get("QUERY_STRING") else _pairs(environ, 1)
    if q is None or not q.keys() <= {"level"}:
        return None
    return q


def _kind(environ) -> str | None:
    """Which hot route a GET is for: "locate", "tile" or None."""
    if environ.get("REQUEST_METHOD") != "GET":
        return None
    path = environ.get("PATH_INFO", "")
    return "locate" if path == PATH else "tile" if TILE.match(path) else None


def _language(cookies: dict) -> str:
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in {code for code, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


def _secure(environ) -> bool:
    if environ.get("wsgi.url_scheme") == "https":
        return True
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    return bool(header) and environ.get(header[0]) == header[1]


def _host_ok(environ) -> bool:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return bool(domain) and validate_host(domain, allowed)


def _ready(environ, route: str) -> tuple[dict, str, list] | None:
    """(cookies, language, learned headers) when nothing of the framework decides this request."""
    if route in getattr(settings, "GEOGRID_RATE_ROUTES", {}):
        return None
    if settings.SECURE_SSL_REDIRECT and not _secure(environ):
        return None
    if not _host_ok(environ):
        return None
    cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
    language = _language(cookies)
    headers = _learned.get((_kind(environ), language))
    if headers is None:
        return None
    return cookies, language, headers


def _serve(environ, start_response):
    """The answer, or None for Django to give it."""
    kind = _kind(environ)
    if kind == "locate":
        return _serve_locate(environ, start_response)
    if kind == "tile":
        return _serve_tile(environ, start_response)
    return None


def _serve_locate(environ, start_response):
    q = _query(environ)
    ready = q is not None and _ready(environ, ROUTE)
    if not ready:
        return None
    cookies, language, headers = ready
    from layers.addresses.api.views import point_answer_body, recently_authenticated

    if not recently_authenticated(cookies.get(settings.SESSION_COOKIE_NAME), environ.get("HTTP_AUTHORIZATION", "")):
        return None
    try:
        status, body = point_answer_body(q["lon"], q["lat"], q.get("crs") or "wgs84", language=language,
                                         token_max_age=settings.GEOGRID_LOCATE_HOT_TOKEN_SECONDS)
    except Exception:  # a bad value or a failing database: Django answers it by its rules
        return None
    start_response(_STATUS[status], _fresh_nonce(headers) + [("Content-Length", str(len(body)))])
    return [body]


def _serve_tile(environ, start_response):
    layer, *zxy = TILE.match(environ["PATH_INFO"]).groups()
    from layers.ogc.tiles import MAX_ZOOM, hot_grid_tile, hot_key

    z, x, y = (int(v) for v in zxy)
    q = _tile_query(environ)
    if q is None or not (0 <= z <= MAX_ZOOM and x < 2 ** z and y < 2 ** z):
        return None
    ready = _ready(environ, TILE_ROUTES[layer])
    if not ready:
        return None
    cookies, _language_code, headers = ready
    key = hot_key(cookies.get(settings.SESSION_COOKIE_NAME), environ.get("HTTP_AUTHORIZATION", ""), layer,
                  q.get("level"))
    if key is None:
        return None
    try:
        answer = hot_grid_tile(key, z=z, x=x, y=y, if_none_match=environ.get("HTTP_IF_NONE_MATCH", ""))
    except Exception:  # a failing database: Django answers it by its rules
        return None
    if answer is None:
        return None
    status, body, etag = answer
    out = _fresh_nonce(headers) + [("ETag", etag)]
    if status == 304:
        start_response(_STATUS[304], [(k, v) for k, v in out if k.lower() != "content-type"])
        return [b""]
    if len(body) >= 200 and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        # As GZipMiddleware does (with its random padding against BREACH).
        body = compress_string(body, max_random_bytes=100)
        out.append(("Content-Encoding", "gzip"))
        vary = [v for k, v in out if k.lower() == "vary"]
        if not any("accept-encoding" in v.lower() for v in vary):
            out.append(("Vary", "Accept-Encoding"))
    start_response(_STATUS[200], out + [("Content-Length", str(len(body)))])
    return [body]


_NONCE = re.compile(r"'nonce-[^']*'")


def _fresh_nonce(headers):
    """The learned headers with a new CSP nonce: a nonce is never sent twice."""
    nonce = f"'nonce-{secrets.token_urlsafe(18)}'"
    return [(k, _NONCE.sub(nonce, v) if k.lower() == "content-security-policy" else v) for k, v in headers]


def _learning(environ, start_response, kind: str):
    """start_response for a hot route's request Django answers: remember its headers (a lookup's
    200 or 404, a tile's 200)."""
    def wrapped(status, headers, exc_info=None):
        learnable = ("200", "404") if kind == "locate" else ("200",)
        query_ok = _query(environ) is not None if kind == "locate" else _tile_query(environ) is not None
        if exc_info is None and status[:3] in learnable and query_ok:
            language = _language(parse_cookie(environ.get("HTTP_COOKIE", "")))
            _learned[(kind, language)] = [(k, v) for k, v in headers if k.lower() not in _NOT_LEARNED]
        return start_response(status, headers, exc_info)
    return wrapped


def hot_paths(application):
    """Wrap the WSGI application with the hot paths of single lookups and grid tiles."""
    def app(environ, start_response):
        answer = _serve(environ, start_response)
        if answer is not None:
            return answer
        kind = _kind(environ)
        if kind is not None:
            return application(environ, _learning(environ, start_response, kind))
        return application(environ, start_response)
    return app
