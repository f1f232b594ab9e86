"""Reads for OGC API Features and vector tiles.

The rows come from each layer's own selector (scoped where the layer is); the features are
then built inside PostGIS around that queryset's own SQL. Why not djangorestframework-gis'
GeoFeatureModelSerializer: it serialises 10,000 polygons in ~2.2 s against ~40 ms in SQL
(DESIGN.md), and an items page of 10,000 is this API's stated maximum."""
import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet

from .crs import Crs

GEOMETRY_PRECISION = 7


def _geometry_sql(column: str, crs: Crs, storage_srid: int) -> str:
    expr = column
    if crs.srid != storage_srid:
        expr = f"ST_Transform({expr}, {int(crs.srid)})"
    if crs.lat_first:
        expr = f"ST_FlipCoordinates({expr})"
    return expr


def _annotated(qs: QuerySet, properties: dict) -> tuple[QuerySet, list[tuple[str, str]]]:
    cols = [(name, f"ogc_p{i}") for i, name in enumerate(properties)]
    ann = {alias: F(properties[name]) for name, alias in cols}
    return qs.annotate(ogc_fid=F("pk"), ogc_geom=F("geometry"), **ann), cols


# numberMatched rule (OGC API Features Part 1 makes it optional): it is given, exact, when the
# selection holds at most MATCHED_EXACT_UP_TO features; the count reads at most that many + 1
# rows (a LIMIT inside the count), so it costs the same on a collection of 10,000 rows or of
# 10,000,000. Above it numberMatched is left out, never estimated: a client pages by `next`.
MATCHED_EXACT_UP_TO = 10_000


@dataclass
class Page:
    """One page of features: how many, the JSON array text, the first and last ids on it, and
    whether more rows lie beyond it in the direction it was read."""
    returned: int
    text: str
    first: int | None
    last: int | None
    more: bool


def bounded_count(qs: QuerySet, cap: int | None = None) -> int | None:
    """The number of rows of `qs` when it is at most `cap` (MATCHED_EXACT_UP_TO unless given),
    else None; reads at most cap + 1 rows."""
    cap = MATCHED_EXACT_UP_TO if cap is None else cap
    inner, params = qs.order_by().values("pk")[:cap + 1].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({inner}) s", params)
        n = cur.fetchone()[0]
    return n if n <= cap else None


def features_page(qs: QuerySet, *, properties: dict, crs: Crs, storage_srid: int, limit: int,
                  offset: int = 0, after: int | None = None, before: int | None = None) -> Page:
    """One page of `qs` ordered by id, built as GeoJSON in PostGIS in one query. Keyset paging:
    `after` gives the `limit` rows with the next ids, `before` the `limit` rows just below it, both
    by the primary key index, so a page deep in a collection costs what the first costs; `offset`
    (read and skipped by the database) stays for clients that jump by it. One row more than
    the page is read to know whether another page follows."""
    if limit <= 0:
        return Page(0, "[]", None, None, False)
    if after is not None:
        qs = qs.filter(pk__gt=after)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    page, cols = _annotated(qs, properties)
    desc = before is not None
    page = page.order_by("-pk" if desc else "pk").values("ogc_fid", "ogc_geom", *[a for _, a in cols])
    page = page[offset:offset + limit + 1]
    inner, params = page.query.sql_with_params()
    props = ", ".join(f"%s, t.{alias}" for _, alias in cols)
    geom = _geometry_sql("t.ogc_geom", crs, storage_srid)
    on = f"FILTER (WHERE t.ogc_rn <= {int(limit)})"
    # Text concatenation, not json_build_object for the whole feature: the geometry text is
    # not parsed back into json (a third of the time on 1,000 polygons).
    sql = (f"SELECT count(*), '[' || coalesce(string_agg('{{\"type\":\"Feature\",\"id\":' || t.ogc_fid "
           f"|| ',\"geometry\":' || coalesce(ST_AsGeoJSON({geom}, {GEOMETRY_PRECISION}), 'null') "
           f"|| ',\"properties\":' || json_build_object({props})::text || '}}', ',' ORDER BY t.ogc_fid) {on}, '') "
           f"|| ']', min(t.ogc_fid) {on}, max(t.ogc_fid) {on} "
           f"FROM (SELECT s.*, row_number() OVER (ORDER BY s.ogc_fid{' DESC' if desc else ''}) AS ogc_rn "
           f"FROM ({inner}) s) t")
    with connection.cursor() as cur:
        cur.execute(sql, [name for name, _ in cols] + list(params))
        n, text, first, last = cur.fetchone()
    return Page(min(n, limit), text, first, last, n > limit)


def feature_one(qs: QuerySet, *, fid, properties: dict, crs: Crs, storage_srid: int) -> str | None:
    """One feature of `qs` by id as GeoJSON text, or None when `qs` does not hold it."""
    page = features_page(qs.filter(pk=fid), properties=properties, crs=crs, storage_srid=storage_srid, limit=1)
    return page.text[1:-1] if page.returned else None


def coverage_rows(*, user, levels: list[int]) -> list[dict]:
    """Coverage figures of every current base grid of `levels` in the user's scope (scoped and
    coarsened by the subjects layer), ordered by grid id."""
    from layers.subjects.selectors import coverage_list

    rows = []
    for level in levels:
        rows += coverage_list(user=user, level=level)
    rows.sort(key=lambda r: r["grid_id"])
    return rows


def grid_geometries(*, ids: list[int], crs: Crs, storage_srid: int, bbox=None) -> dict[int, str]:
    """GeoJSON geometry text of the given grids (only those meeting `bbox` when given)."""
    from layers.grids.selectors import grid_list

    qs = grid_list(current=False).filter(pk__in=ids)
    if bbox is not None:
        qs = qs.filter(geometry__intersects=bbox)
    page, _ = _annotated(qs, {})
    inner, params = page.order_by().values("ogc_fid", "ogc_geom").query.sql_with_params()
    geom = _geometry_sql("t.ogc_geom", crs, storage_srid)
    with connection.cursor() as cur:
        cur.execute(f"SELECT t.ogc_fid, ST_AsGeoJSON({geom}, {GEOMETRY_PRECISION}) FROM ({inner}) t", params)
        return dict(cur.fetchall())


def extent(qs: QuerySet) -> list[float] | None:
    """[minlon, minlat, maxlon, maxlat] of the rows' geometries, or None when empty."""
    from django.contrib.gis.db.models import Extent

    box = qs.order_by().aggregate(e=Extent("geometry"))["e"]
    return [round(v, 6) for v in box] if box else None


def json_default(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    raise TypeError(type(v))


def dumps(v) -> str:
    return json.dumps(v, ensure_ascii=False, default=json_default)
