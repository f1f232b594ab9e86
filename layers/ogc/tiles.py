"""Vector tiles: /tiles/{layer}/{z}/{x}/{y}.mvt built by ST_AsMVT in one SQL statement per tile,
and TileJSON at /tiles/{layer}.json.

The rows come from the same collections (and so the same scoped selectors) as /ogc/. A tile of
a scoped layer differs per user: it is `private`, varies on Authorization and Cookie, and its
ETag hashes the user's scope with the tile's bytes, so no cache can hand it to another user."""
import hashlib
import math

from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import F
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.response import Response

from layers.core.errors import RuleViolation
from layers.core.sqlfiles import sql_loader
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


def grid_tile_mvt(*, user, layer: str, z: int, x: int, y: int, level: int | None) -> bytes:
    """The MVT bytes of one tile of a grid layer: current grids of the layer's kinds (every
    special kind for "special"), with the coverage figures of those in the user's scope; the
    "coverage" layer holds only those. One SQL statement, built whole by PostgreSQL."""
    from django.conf import settings
    from django.utils import timezone

    from layers.grids.models import GridKind
    from layers.staff.access import NONE
    from layers.staff.models import FIELD_ROLES

    scope = scope_for(user)
    figures = layer != "special" and scope.access(FIGURES_ROUTE, "GET") != NONE
    kinds = GRID_LAYERS[layer] or tuple(k for k in GridKind.values if k != GridKind.BASE)
    coarse = figures and not scope.sees_small_counts
    text = sql("grid_tile").replace("/*subjects*/", SUBJECTS_COARSE if coarse else SUBJECTS_EXACT)
    params = {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "srid": settings.GEOGRID_SRID, "layer": layer,
              "figures": figures, "everything": scope.is_admin, "patterns": [p + "%" for p in scope.paths],
              "kinds": list(kinds), "level": level, "only_mine": layer == "coverage",
              "roles": [str(r) for r in FIELD_ROLES], "now": timezone.now()}
    with connection.cursor() as cur:
        cur.execute(text, params)
        data = cur.fetchone()[0]
    return bytes(data) if data else b""


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
            level = _coerce(c.queryables["level"], request.GET["level"], "level") if "level" in request.GET else None
            data = grid_tile_mvt(user=request.user, layer=layer, z=z, x=x, y=y, level=level)
        else:
            data = tile_mvt(qs, layer=layer, properties=properties, z=z, x=x, y=y)
        digest = hashlib.sha256()
        # Grid tiles carry the figures of the user's scope: scoped too.
        digest.update(scope_key(request.user, c.scoped or layer in GRID_LAYERS).encode())
        digest.update(data)
        etag = f'"{digest.hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": "private, max-age=60", "Vary": "Authorization, Cookie"}
        if etag in [t.strip() for t in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
            resp = HttpResponse(status=304)
        else:
            resp = HttpResponse(data, content_type=MVT)
        for k, v in headers.items():
            resp[k] = v
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
