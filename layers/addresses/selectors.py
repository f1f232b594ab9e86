"""Reads of the address registry and the fast point lookup.

Addresses are not personal data (a standard address, not who lives there); any logged-in
user may read them and locate points."""
import datetime as dt
import json
import weakref
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from layers.grids.selectors import Located

from .locator import locate_points
from .models import Address
from .normalise import normalise_address
from .sqlfiles import sql

MAX_BATCH = settings.GEOGRID_MAX_BATCH  # points per locate batch (a setting; 400 beyond it)

_CURRENT = {
    "hit": "SELECT DISTINCT pts.ord, p.grid_id, p.kind, p.level "
           "FROM pts JOIN grids_gridpiece p ON ST_Covers(p.geometry, pts.geom)",
    "child_valid": "c.valid_to IS NULL",
    "geometry_source": "grids_grid",
}
_VALID_ON = "{a}.valid_from <= %(on)s AND ({a}.valid_to IS NULL OR {a}.valid_to > %(on)s)"
_ON_DATE = {
    "hit": "SELECT DISTINCT pts.ord, g.id AS grid_id, g.kind, g.level "
           "FROM pts JOIN grids_gridversion v ON ST_Covers(v.geometry, pts.geom) AND " + _VALID_ON.format(a="v")
           + " JOIN grids_grid g ON g.id = v.grid_id AND " + _VALID_ON.format(a="g"),
    "child_valid": _VALID_ON.format(a="c"),
    "geometry_source": "(SELECT gg.id, gg.code, gg.name, gg.level, gg.path, v.geometry FROM grids_grid gg "
                       "JOIN grids_gridversion v ON v.grid_id = gg.id AND " + _VALID_ON.format(a="v") + ")",
}


@cache
def _locate_sql(dated: bool) -> str:
    return sql("locate_points").format(**(_ON_DATE if dated else _CURRENT))


_PARAMS = ("xs", "ys", "srid", "near", "on")
_TYPES = ("float8[]", "float8[]", "integer", "float8", "date")
# Raw connections that hold the prepared lookup. Planning the lookup takes ~0.9 ms, running it
# ~0.3 ms: a server-side prepared statement, planned once per persistent connection, pays the
# planning once instead of on every request.
_prepared: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _run_locate(cur, dated: bool, params: dict) -> list:
    raw = connection.connection
    done = _prepared.setdefault(raw, set())
    name = f"addresses_locate_{'dated' if dated else 'current'}"
    if name not in done:
        text = _locate_sql(dated)
        for i, key in enumerate(_PARAMS, start=1):
            text = text.replace(f"%({key})s", f"${i}")
        # A generic plan (the point is only a parameter) instead of re-planning per call. The
        # setting only governs prepared statements, and Django with psycopg2 prepares none.
        cur.execute(f"SET plan_cache_mode = force_generic_plan; PREPARE {name} ({', '.join(_TYPES)}) AS {text}")
        done.add(name)
    cur.execute(f"EXECUTE {name} (%s, %s, %s, %s, %s)", [params[k] for k in _PARAMS])
    return cur.fetchall()


def address_locate_json(*, points: list[tuple[float, float]], on: dt.date | None = None) -> list[str | None]:
    """For each point (storage datum, already validated), its answer as JSON text or None in a
    coverage gap: {"grid", "chain", "special", "station", "near_boundary", "edge_distance_m"}.
    Today's grids: the in-process index (locator.py), one tiny query per call; a past date:
    one SQL round trip over the grid versions."""
    if not points:
        return []
    if on is None:
        return locate_points([p[0] for p in points], [p[1] for p in points])
    return address_locate_json_sql(points=points, on=on)


def address_locate_json_sql(*, points: list[tuple[float, float]], on: dt.date | None = None) -> list[str | None]:
    """The same answers computed inside PostGIS (locate_points.sql), for any date."""
    if not points:
        return []
    params = {"xs": [float(p[0]) for p in points], "ys": [float(p[1]) for p in points], "srid": settings.GEOGRID_SRID,
              "near": settings.GEOGRID_NEAR_BOUNDARY_M, "on": on}
    with connection.cursor() as cur:
        if len(points) == 1:
            return [row[1] for row in _run_locate(cur, on is not None, params)]
        # A batch is planned for its real size (the planner sees the array length; a generic
        # plan would assume 10 points and join them by nested loops).
        cur.execute(_locate_sql(on is not None), params)
        return [row[1] for row in cur.fetchall()]


def address_locate(*, lon: float, lat: float, on: dt.date | None = None) -> Located | None:
    """The micro-grid holding a point (storage datum), as `grid_locate` returns it; same edge
    rule as the bulk assignment (deepest level, then lowest code); None in a coverage gap."""
    (text,) = address_locate_json(points=[(lon, lat)], on=on)
    if text is None:
        return None
    d = json.loads(text)
    return Located(grid=d["grid"], chain=d["chain"], special=d["special"],
                   station_id=d["station"]["id"] if d["station"] else None,
                   edge_distance_m=float(d["edge_distance_m"]), near_boundary=d["near_boundary"])


def address_list(*, grid_id: int | None = None, gaps: bool = False, near_boundary: bool | None = None) -> QuerySet[Address]:
    """Addresses, optionally of one micro-grid, only coverage gaps, or only near-boundary ones."""
    qs = Address.objects.select_related("grid")
    if grid_id is not None:
        qs = qs.filter(grid_id=grid_id)
    if gaps:
        qs = qs.filter(grid__isnull=True)
    if near_boundary is not None:
        qs = qs.filter(near_boundary=near_boundary)
    return qs.order_by("pk")


def address_list_gaps() -> QuerySet[Address]:
    """Addresses whose point lies in no micro-grid (coverage gaps)."""
    return address_list(gaps=True)


def address_search(*, text: str, limit: int = 10, min_score: float = 0.3) -> list[dict]:
    """Registry addresses best matching free text (pg_trgm similarity on the normalised key),
    each with its score and micro-grid chain."""
    key = normalise_address(text)
    if not key:
        return []
    with connection.cursor() as cur:
        cur.execute(sql("search"), {"key": key, "limit": limit, "min_score": min_score})
        return [json.loads(row[0]) for row in cur.fetchall()]
