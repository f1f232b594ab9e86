"""The locate API. Plain Django views, not DRF: a lookup is one SQL round trip returning the
answer as JSON text, and DRF's request/response/serializer layers cost more than the query
(DESIGN: the web layer is the cost of a lookup)."""
import datetime as dt
import gc
import hashlib
import json
import math
import time

import numpy as np
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from layers.core import params
from layers.core.crs import normalise_crs, to_storage
from layers.core.errors import InvalidCoordinates, RuleViolation
from layers.staff.authentication import challenge, user_from_authorization

from ..normalise import normalise_address
from layers.grids.locate import locate_json

from ..selectors import MAX_BATCH, address_search

# Who was found logged in recently, per worker process: checking the session costs two queries
# (session row, user row), more than the lookup itself. An entry lives AUTH_TTL seconds, so a
# logout, a deactivated account or a revoked token is refused at most that much later by this view.
AUTH_TTL = 30.0
_AUTH_MAX = 10_000
_recent: dict[str, float] = {}


def _remember(key: str) -> None:
    if len(_recent) >= _AUTH_MAX:
        _recent.clear()
    _recent[key] = time.monotonic() + AUTH_TTL


def auth_cache_key(session_key: str | None, header: str) -> str | None:
    return ("s:" + session_key) if session_key else \
        ("b:" + hashlib.sha256(header.encode()).hexdigest()) if header.startswith(("Basic ", "Bearer ")) else None


def recently_authenticated(session_key: str | None, header: str) -> bool:
    """Was this session or credential found logged in during the last AUTH_TTL seconds (here)?"""
    key = auth_cache_key(session_key, header)
    return key is not None and _recent.get(key, 0.0) > time.monotonic()


def _authenticated(request) -> bool:
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    cache_key = auth_cache_key(session_key, header)
    if recently_authenticated(session_key, header):
        return True
    ok = request.user.is_authenticated
    if not ok and header:
        user = user_from_authorization(request)
        ok = user is not None and user.is_active
    if ok and cache_key:
        _remember(cache_key)
    return ok


def _json(data, status=200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):  # TypeError: a JSON number or list where a date belongs
        raise RuleViolation("date", _("date must be YYYY-MM-DD, not %(value)r") % {"value": str(value)[:40]})


def _points(raw, crs: str) -> list[tuple[float, float]]:
    """Validate a batch: a list of [lon, lat] numbers in China; refuse it naming the first bad one."""
    if not isinstance(raw, list):
        raise InvalidCoordinates(_("points must be a list of [lon, lat] pairs"))
    if len(raw) > MAX_BATCH:
        raise RuleViolation("batch_too_large", _("At most %(max)d points per request, not %(n)d")
                            % {"max": MAX_BATCH, "n": len(raw)})
    minx, miny, maxx, maxy = settings.GEOGRID_CHINA_BBOX
    plain = crs in ("wgs84", "cgcs2000")
    if plain and raw:
        # Fast path: a clean list of number pairs checks as one array; anything else falls
        # through to the point-by-point check, which names the first bad point and why.
        try:
            arr = np.asarray(raw)
        except ValueError:
            arr = None
        if arr is not None and arr.dtype.kind in "fi" and arr.ndim == 2 and arr.shape[1] == 2:
            arr = arr.astype(float)
            x, y = arr[:, 0], arr[:, 1]
            if (np.isfinite(arr).all() and (x >= minx).all() and (x <= maxx).all()
                    and (y >= miny).all() and (y <= maxy).all()):
                return list(zip(x.tolist(), y.tolist()))
    out = []
    for i, p in enumerate(raw):
        try:
            if not (isinstance(p, (list, tuple)) and len(p) == 2):
                raise InvalidCoordinates(_("a point is a [lon, lat] pair"))
            x, y = p
            if plain and type(x) in (float, int) and type(y) in (float, int) \
                    and minx <= x <= maxx and miny <= y <= maxy and math.isfinite(x) and math.isfinite(y):
                out.append((float(x), float(y)))
                continue
            if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, (int, float)) \
                    or not isinstance(y, (int, float)):
                raise InvalidCoordinates(_("lon and lat must be numbers"))
            out.append(to_storage(x, y, crs))
        except RuleViolation as exc:
            raise RuleViolation("coordinates", _("point %(i)d: %(reason)s") % {"i": i, "reason": exc.messages[0]},
                                extra={"index": i}) from None
    return out


def _forbidden() -> JsonResponse:
    response = _json({"detail": _("Authentication credentials were not provided.")}, status=401)
    response["WWW-Authenticate"] = challenge()
    return response


@csrf_exempt  # a lookup changes nothing, so a forged cross-site POST gains nothing to read or write
def locate(request):
    """GET ?lon=&lat=[&crs=][&date=] one point; GET ?address= text search; POST a batch."""
    # A broken rule (bad coordinates, date, body) leaves as a RuleViolation: the one error
    # channel (layers/core/middleware.py) answers it with its reason as JSON.
    if not _authenticated(request):
        return _forbidden()
    if request.method == "POST":
        return _locate_batch(request)
    if request.method != "GET":
        return _json({"detail": _("Method not allowed")}, status=405)
    q = request.GET
    if "address" in q:
        return _search(q)
    if "lon" not in q or "lat" not in q:
        raise InvalidCoordinates(_("Give lon and lat (and optionally crs, date), or address"))
    return point_answer(q["lon"], q["lat"], q.get("crs") or "wgs84", q.get("date"))


def point_answer(lon_text: str, lat_text: str, crs: str = "wgs84", date_text: str | None = None, *,
                 token_max_age: float = 0.0) -> HttpResponse:
    """The answer to one point given as query text (the view's; geogrid/hotpath.py serves the
    same body from `point_answer_body` without the framework once the caller is known)."""
    status, body = point_answer_body(lon_text, lat_text, crs, date_text, token_max_age=token_max_age)
    return HttpResponse(body, status=status, content_type="application/json")


def point_answer_body(lon_text: str, lat_text: str, crs: str = "wgs84", date_text: str | None = None, *,
                      token_max_age: float = 0.0, language: str | None = None) -> tuple[int, bytes]:
    """(status, JSON body) of one point's answer: 200 and the location, or 404 and why not, its
    text in `language` (None: the active one). Bad input raises as in the view."""
    lon, lat = to_storage(lon_text, lat_text, crs)
    (text,) = locate_json([(lon, lat)], on=_date(date_text), token_max_age=token_max_age)
    if text is not None and '"gap":true' not in text:
        return 200, text.encode()
    if language is not None:
        with translation.override(language):
            return _missing(text, lon_text, lat_text)
    return _missing(text, lon_text, lat_text)


def _missing(text: str | None, lon_text: str, lat_text: str) -> tuple[int, bytes]:
    if text is None:
        data = {"detail": _("No grid holds the point (%(lon)s, %(lat)s); it lies outside every micro-grid")
                % {"lon": lon_text, "lat": lat_text}, "gap": False, "chain": []}
    else:
        # A coverage gap: base grids cover the point, no micro-grid does (layers/grids/locate.py).
        chain = json.loads(text)["chain"]
        data = {"detail": _("No micro-grid holds the point (%(lon)s, %(lat)s): it lies in a coverage gap of "
                            "%(grid)s") % {"lon": lon_text, "lat": lat_text, "grid": chain[0]["name"]},
                "gap": True, "chain": chain}
    return 404, _json(data).content


def _locate_batch(request):
    # 10,000 points are 30,000 short-lived objects: without the cyclic collector running over the
    # whole heap again and again the request takes a third less time. Nothing here makes cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _locate_batch_inner(request)
    finally:
        if enabled:
            gc.enable()


def _locate_batch_inner(request):
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting too deep to parse
        raise RuleViolation("body", _("The body must be JSON: {\"crs\": ..., \"points\": [[lon, lat], ...]}"))
    if not isinstance(body, dict) or "points" not in body:
        raise RuleViolation("body", _("The body must be JSON: {\"crs\": ..., \"points\": [[lon, lat], ...]}"))
    crs = normalise_crs(body.get("crs") or "wgs84")
    points = _points(body["points"], crs)
    on = _date(body.get("date"))
    texts = locate_json(points, on=on)
    out = '{"results":[' + ",".join(t if t is not None else "null" for t in texts) + "]}"
    return HttpResponse(out, content_type="application/json")


def _search(q):
    text = q.get("address", "").strip()
    if not text:
        raise RuleViolation("address", _("address must not be empty"))
    try:
        limit = max(1, min(params.integer(q.get("limit"), "limit", default=10), 50))
    except RuleViolation:
        raise RuleViolation("limit", _("limit must be a whole number"))
    return _json({"query": text, "normalised": normalise_address(text),
                  "results": address_search(text=text, limit=limit)})
