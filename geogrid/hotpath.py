"""The hot path of single lookups: GET /api/locate/?lon=&lat=[&crs=] answered in front of Django
for callers this process found logged in during the last AUTH_TTL seconds.

What a lookup costs is mostly the framework around it (middleware, URL resolution, the session
row read by the session timeout): measured against `http_framework_floor` (bench/floor.py) the
full stack reached 0.08 of what gunicorn itself serves. This callable wraps the WSGI application
and leaves the framework behind only where nothing of it decides the answer:

- the auth is kept: the request is served here only when its session cookie or credential is in
  the locate view's cache of callers found logged in (layers/addresses/api/views.py, AUTH_TTL);
  anyone else goes through Django, whose answer (401, or 200 and the cache filled) is the rule;
- the answer is the view's own (`point_answer`: same body, same 404 texts, in the caller's
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
"""
import re
import secrets
from urllib.parse import parse_qsl

from django.conf import settings
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import translation

PATH = "/api/locate/"
ROUTE = "address-locate"
_KEYS = {"lon", "lat", "crs"}
_NOT_LEARNED = {"content-length", "set-cookie", "content-encoding"}  # the hot body is never compressed
_STATUS = {200: "200 OK", 404: "404 Not Found"}
# Response headers per language, learned from Django's own answers to a single lookup.
_learned: dict[str, list[tuple[str, str]]] = {}


def _query(environ) -> dict | None:
    try:
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True, strict_parsing=True,
                          max_num_fields=3)
    except ValueError:
        return None
    q = dict(pairs)
    if len(q) != len(pairs) or not {"lon", "lat"} <= q.keys() <= _KEYS:
        return None
    return q


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


def _serve(environ, start_response):
    """The answer, or None for Django to give it."""
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != PATH:
        return None
    if ROUTE in getattr(settings, "GEOGRID_RATE_ROUTES", {}):
        return None
    if settings.SECURE_SSL_REDIRECT and not _secure(environ):
        return None
    q = _query(environ)
    if q is None or not _host_ok(environ):
        return None
    cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
    language = _language(cookies)
    headers = _learned.get(language)
    if headers is None:
        return None
    from layers.addresses.api.views import point_answer, recently_authenticated

    if not recently_authenticated(cookies.get(settings.SESSION_COOKIE_NAME), environ.get("HTTP_AUTHORIZATION", "")):
        return None
    try:
        with translation.override(language):
            response = point_answer(q["lon"], q["lat"], q.get("crs") or "wgs84",
                                    token_max_age=settings.GEOGRID_LOCATE_HOT_TOKEN_SECONDS)
    except Exception:  # a bad value or a failing database: Django answers it by its rules
        return None
    if response.status_code not in _STATUS:
        return None
    body = response.content
    start_response(_STATUS[response.status_code], _fresh_nonce(headers) + [("Content-Length", str(len(body)))])
    return [body]


_NONCE = re.compile(r"'nonce-[^']*'")


def _fresh_nonce(headers):
    """The learned headers with a new CSP nonce: a nonce is never sent twice."""
    nonce = f"'nonce-{secrets.token_urlsafe(18)}'"
    return [(k, _NONCE.sub(nonce, v) if k.lower() == "content-security-policy" else v) for k, v in headers]


def _learning(environ, start_response):
    """start_response for a lookup Django answers: remember its headers (200 or 404)."""
    def wrapped(status, headers, exc_info=None):
        if exc_info is None and status[:3] in ("200", "404") and _query(environ) is not None:
            language = _language(parse_cookie(environ.get("HTTP_COOKIE", "")))
            _learned[language] = [(k, v) for k, v in headers if k.lower() not in _NOT_LEARNED]
        return start_response(status, headers, exc_info)
    return wrapped


def hot_locate(application):
    """Wrap the WSGI application with the hot path of single lookups."""
    def app(environ, start_response):
        answer = _serve(environ, start_response)
        if answer is not None:
            return answer
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "GET":
            return application(environ, _learning(environ, start_response))
        return application(environ, start_response)
    return app
