"""Vector tiles: /tiles/{layer}/{z}/{x}/{y}.mvt built by ST_AsMVT in one SQL statement per tile,
and TileJSON at /tiles/{layer}.json.

The rows come from the same collections (and so the same scoped selectors) as /ogc/. A tile of
a scoped layer differs per user: it is `private`, varies on Authorization and Cookie, and its
ETag hashes the user's scope with the tile's bytes, so no cache can hand it to another user."""
import hashlib
import math
import time

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import F
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.response import Response

from layers.core.errors import RuleViolation
from layers.core.sqlfiles import sql_loader
from layers.staff.authstate import auth_state_token
from layers.staff.scope import scope_for
from layers.subjects.selectors import SMALL_COUNT

from .collections import collections
from .views import OgcView, _coerce

MVT = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
# tile layer -> (collection, properties written into the tile)
LAYERS = {
    "grids": ("grids", {"code": "code", "name": "name", "level": "level", "kind": "kind", "parent": "parent_id"}),
    "special": ("special", {"code": "code", "name": "name", "level": "level", "kind": "kind",
                            "parent": "parent_id"}),
    "coverage": ("grids", {"code": "code", "name": "name", "level": "level", "kind": "kind", "parent": "parent_id"}),
    "addresses": ("addresses", {"kind": "kind", "households": "households", "grid_code": "grid__code"}),
    "incidents": ("incidents", {"ref": "ref", "status": "status", "incident_class": "incident_class",
                                "type": "type__code", "type_name": "type__name", "grid_code": "grid__code",
                                "overdue": "is_overdue"}),
}
# The grid layers are built by one SQL statement (sql/grid_tile.sql) with the coverage figures
# of the grids in the user's scope; "coverage" holds only those grids.
GRID_LAYERS = {"grids": ("base",), "special": tuple(), "coverage": ("base",)}
GRID_FIGURE_FIELDS = {"addresses": "Number", "households": "Number", "staff": "Number", "subjects": "Number",
                      "households_per_staff": "Number", "open_incidents": "Number", "overdue_incidents": "Number"}
SUBJECTS_EXACT = "coalesce(subj.n, 0)"
# subjects.selectors.coarse_count in SQL: 0, "<10", then bands of ten ("10-19", ...).
SUBJECTS_COARSE = (f"CASE WHEN coalesce(subj.n, 0) = 0 THEN '0' WHEN subj.n < {SMALL_COUNT} THEN '<{SMALL_COUNT}' "
                   f"ELSE (subj.n / {SMALL_COUNT} * {SMALL_COUNT})::text || '-' "
                   f"|| (subj.n / {SMALL_COUNT} * {SMALL_COUNT} + {SMALL_COUNT - 1})::text END")
# Who may read coverage figures (the same row as /ogc/collections/coverage/items).
FIGURES_ROUTE = "ogc-coverage-items"
sql = sql_loader("ogc")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of a web-mercator tile."""
    n = 2 ** z

    def lat(yy):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))
    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def tile_mvt(qs, *, layer: str, properties: dict, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of one tile of the rows `qs` (one SQL statement)."""
    w, s, e, n = tile_bounds(z, x, y)
    pad_x, pad_y = (e - w) * BUFFER / EXTENT, (n - s) * BUFFER / EXTENT
    env = Polygon.from_bbox((w - pad_x, max(s - pad_y, -85.06), e + pad_x, min(n + pad_y, 85.06)))
    env.srid = 4326
    cols = [(name, f"ogc_p{i}") for i, name in enumerate(properties)]
    ann = {alias: F(properties[name]) for name, alias in cols}
    # && (bounding boxes): ST_AsMVTGeom clips and drops what only the box touches.
    inner_qs = (qs.filter(geometry__bboverlaps=env).annotate(ogc_fid=F("pk"), ogc_geom=F("geometry"), **ann)
                .order_by().values("ogc_fid", "ogc_geom", *ann))
    inner, params = inner_qs.query.sql_with_params()
    select = ", ".join(f't.{alias} AS "{name}"' for name, alias in cols)
    text = (f"SELECT ST_AsMVT(m, %s, {EXTENT}, 'geom', 'id') FROM ("
           f"SELECT ST_AsMVTGeom(ST_Transform(t.ogc_geom, 3857), ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true)"
           f" AS geom, t.ogc_fid AS id, {select} FROM ({inner}) t OFFSET 0) m WHERE m.geom IS NOT NULL")
    with connection.cursor() as cur:
        cur.execute(text, [layer, z, x, y, *params])
        data = cur.fetchone()[0]
    return bytes(data) if data else b""


def grid_tile_plan(*, user, layer: str, level: int | None) -> dict:
    """What a grid layer's tile statement needs to know about the user (their scope, their access
    to figures, whether small counts are coarsened) and the layer: everything but the tile."""
    from layers.grids.models import GridKind
    from layers.staff.access import NONE

    scope = scope_for(user)
    figures = layer != "special" and scope.access(FIGURES_ROUTE, "GET") != NONE
    kinds = GRID_LAYERS[layer] or tuple(k for k in GridKind.values if k != GridKind.BASE)
    return {"layer": layer, "figures": figures, "everything": scope.is_admin,
            "patterns": [p + "%" for p in scope.paths], "kinds": list(kinds), "level": level,
            "only_mine": layer == "coverage", "coarse": figures and not scope.sees_small_counts}


def grid_tile_bytes(plan: dict, *, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of one tile of a grid layer: current grids of the layer's kinds (every
    special kind for "special"), with the coverage figures of those in the plan's scope; the
    "coverage" layer holds only those. One SQL statement, built whole by PostgreSQL."""
    from django.utils import timezone

    from layers.staff.models import FIELD_ROLES

    text = sql("grid_tile").replace("/*subjects*/", SUBJECTS_COARSE if plan["coarse"] else SUBJECTS_EXACT)
    params = {k: v for k, v in plan.items() if k != "coarse"}
    params.update(z=z, x=x, y=y, margin=BUFFER / EXTENT, srid=settings.GEOGRID_SRID,
                  roles=[str(r) for r in FIELD_ROLES], now=timezone.now())
    with connection.cursor() as cur:
        cur.execute(text, params)
        data = cur.fetchone()[0]
    return bytes(data) if data else b""


def tile_etag(key: str, data: bytes) -> str:
    """The ETag of a tile: its bytes and what it depends on about the user (scope_key)."""
    digest = hashlib.sha256()
    digest.update(key.encode())
    digest.update(data)
    return f'"{digest.hexdigest()[:32]}"'


def etag_matches(etag: str, if_none_match: str) -> bool:
    return etag in [t.strip() for t in if_none_match.split(",")]


# --- the hot path's memory of grid-tile callers ----------------------------------------------
# geogrid/hotpath.py serves grid tiles in front of Django to a caller whose exact credentials
# (session cookie and Authorization header together) this view answered with 200 during the
# last HOT_TTL seconds, with the plan (scope, figures, coarsening) computed then. The plan is
# used only while the auth-state token read with it is still current (layers/staff/authstate.py:
# any assignment, token, account, session end or grid change moves it), checked at most every
# GEOGRID_HOT_TOKEN_SECONDS: a reassignment or revocation reaches the hot path that much later.
# HOT_TTL bounds what the token cannot see (a session's idle or absolute expiry by the clock).
HOT_TTL = 30.0
_HOT_MAX = 10_000
_hot: dict[str, tuple[float, str, dict, str]] = {}


def hot_key(session_key: str | None, authorization: str, layer: str, level_text: str | None) -> str | None:
    """The key of a caller's plan for one grid layer (None for a caller without credentials)."""
    if not session_key and not authorization.startswith(("Basic ", "Bearer ")):
        return None
    raw = "\0".join([session_key or "", authorization, layer, "" if level_text is None else level_text])
    return hashlib.sha256(raw.encode()).hexdigest()


def _hot_remember(request, layer: str, plan: dict, key: str, token: str) -> None:
    hk = hot_key(request.COOKIES.get(settings.SESSION_COOKIE_NAME), request.META.get("HTTP_AUTHORIZATION", ""),
                 layer, request.GET.get("level"))
    if hk is None or not token:
        return
    if len(_hot) >= _HOT_MAX:
        _hot.clear()
    _hot[hk] = (time.monotonic() + HOT_TTL, token, plan, key)


def hot_grid_tile(key: str, *, z: int, x: int, y: int, if_none_match: str = "") -> tuple[int, bytes, str] | None:
    """(status, body, ETag) of a grid tile for the caller remembered under `key`, or None when
    nothing current is remembered (Django then answers, by its rules)."""
    entry = _hot.get(key)
    if entry is None:
        return None
    expires, token, plan, skey = entry
    if expires < time.monotonic() or auth_state_token(max_age=settings.GEOGRID_HOT_TOKEN_SECONDS) != token:
        _hot.pop(key, None)
        return None
    data = grid_tile_bytes(plan, z=z, x=x, y=y)
    etag = tile_etag(skey, data)
    if etag_matches(etag, if_none_match):
        return 304, b"", etag
    return 200, data, etag


def _layer_rows(request, layer: str):
    if layer not in LAYERS:
        raise Http404(_("No tile layer %(layer)s; use one of %(layers)s") % {"layer": layer, "layers": ", ".join(LAYERS)})
    cid, properties = LAYERS[layer]
    c = collections()[cid]
    allowed = {"level"} if layer in GRID_LAYERS else set()
    unknown = set(request.GET) - allowed
    if unknown:
        raise RuleViolation("parameter_unknown", _("Unknown parameter(s): %(names)s") % {"names": ", ".join(sorted(unknown))})
    qs = c.rows(request.user, None)
    if "level" in request.GET:
        qs = qs.filter(level=_coerce(c.queryables["level"], request.GET["level"], "level"))
    return c, properties, qs


def scope_key(user, scoped: bool) -> str:
    """What the tile depends on about the user: nothing for public layers; otherwise the scope,
    the user's level of access to figures and whether small counts are coarsened."""
    if not scoped:
        return "all"
    s = scope_for(user)
    where = "admin" if s.is_admin else "|".join(s.paths) or "none"
    return f"{where};{s.access(FIGURES_ROUTE, 'GET')};{s.sees_small_counts}"


class TileView(OgcView):
    def get(self, request, layer, z, x, y):
        c, properties, qs = _layer_rows(request, layer)
        if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
            raise RuleViolation("tile_invalid", _("No tile %(z)s/%(x)s/%(y)s: zoom 0 to %(max)s, x and y below 2^zoom")
                                % {"z": z, "x": x, "y": y, "max": MAX_ZOOM})
        if layer in GRID_LAYERS:
            # Read before the scope: a change in between makes the remembered plan stale, never fresh.
            token = auth_state_token()
            level = _coerce(c.queryables["level"], request.GET["level"], "level") if "level" in request.GET else None
            plan = grid_tile_plan(user=request.user, layer=layer, level=level)
            data = grid_tile_bytes(plan, z=z, x=x, y=y)
        else:
            data = tile_mvt(qs, layer=layer, properties=properties, z=z, x=x, y=y)
        # Grid tiles carry the figures of the user's scope: scoped too.
        key = scope_key(request.user, c.scoped or layer in GRID_LAYERS)
        etag = tile_etag(key, data)
        headers = {"ETag": etag, "Cache-Control": "private, max-age=60", "Vary": "Authorization, Cookie"}
        if etag_matches(etag, request.META.get("HTTP_IF_NONE_MATCH", "")):
            resp = HttpResponse(status=304)
        else:
            resp = HttpResponse(data, content_type=MVT)
        for k, v in headers.items():
            resp[k] = v
        if layer in GRID_LAYERS:
            _hot_remember(request, layer, plan, key, token)
        return resp


class TileJSONView(OgcView):
    def get(self, request, layer):
        c, properties, qs = _layer_rows(request, layer)
        from . import selectors

        query = ("?" + request.GET.urlencode()) if request.GET else ""
        url = request.build_absolute_uri(f"/tiles/{layer}/") + "{z}/{x}/{y}.mvt" + query
        fields = {name: "String" for name in properties}
        if layer in ("grids", "coverage"):
            fields.update(GRID_FIGURE_FIELDS)
        bounds = selectors.extent(qs) or [-180, -85.05, 180, 85.05]
        data = {"tilejson": "3.0.0", "name": layer, "description": str(c.description), "scheme": "xyz",
                "tiles": [url], "minzoom": 0, "maxzoom": MAX_ZOOM, "bounds": bounds,
                "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 14],
                "vector_layers": [{"id": layer, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}]}
        resp = Response(data)
        resp["Cache-Control"] = "private, max-age=60"
        resp["Vary"] = "Authorization, Cookie"
        return resp
