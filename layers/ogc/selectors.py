"""Reads for OGC API Features and vector tiles.

The rows come from each layer's own selector (scoped where the layer is); the features are
then built inside PostGIS around that queryset's own SQL. Why not djangorestframework-gis'
GeoFeatureModelSerializer: it serialises 10,000 polygons in ~2.2 s against ~40 ms in SQL
(DESIGN.md), and an items page of 10,000 is this API's stated maximum."""
import datetime as dt
import json

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


def features_page(qs: QuerySet, *, properties: dict, crs: Crs, storage_srid: int,
                  limit: int, offset: int) -> tuple[int, int, str]:
    """(numberMatched, numberReturned, the features as a JSON array text) of one page of `qs`,
    ordered by id. Two queries: the count, and the page built as GeoJSON in PostGIS."""
    matched = qs.order_by().count()
    if offset >= matched or limit == 0:
        return matched, 0, "[]"
    page, cols = _annotated(qs, properties)
    page = page.order_by("pk").values("ogc_fid", "ogc_geom", *[a for _, a in cols])[offset:offset + limit]
    inner, params = page.query.sql_with_params()
    props = ", ".join(f"%s, t.{alias}" for _, alias in cols)
    geom = _geometry_sql("t.ogc_geom", crs, storage_srid)
    # Text concatenation, not json_build_object for the whole feature: the geometry text is
    # not parsed back into json (a third of the time on 1,000 polygons).
    sql = (f"SELECT count(*), '[' || coalesce(string_agg('{{\"type\":\"Feature\",\"id\":' || t.ogc_fid "
           f"|| ',\"geometry\":' || coalesce(ST_AsGeoJSON({geom}, {GEOMETRY_PRECISION}), 'null') "
           f"|| ',\"properties\":' || json_build_object({props})::text || '}}', ',' ORDER BY t.ogc_fid), '') || ']' "
           f"FROM ({inner}) t")
    with connection.cursor() as cur:
        cur.execute(sql, [name for name, _ in cols] + list(params))
        returned, text = cur.fetchone()
    return matched, returned, text


def feature_one(qs: QuerySet, *, fid, properties: dict, crs: Crs, storage_srid: int) -> str | None:
    """One feature of `qs` by id as GeoJSON text, or None when `qs` does not hold it."""
    matched, returned, text = features_page(qs.filter(pk=fid), properties=properties, crs=crs,
                                            storage_srid=storage_srid, limit=1, offset=0)
    return text[1:-1] if returned else None


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
