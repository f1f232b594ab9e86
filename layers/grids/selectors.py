"""Reads of grids. Boundaries are not personal data: any logged-in user may read them."""
import datetime as dt
import json

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from layers.core.sqlfiles import sql_loader

from .geometry import gaps as coverage_gaps
from .geometry import geodesic_area_m2, shp
from .geometry import overlaps as coverage_overlaps
from .models import Grid, GridKind

sql = sql_loader("grids")


def grid_list(*, kind: str | None = None, level: int | None = None, parent: int | None = None,
              bbox: tuple[float, float, float, float] | None = None, code: str | None = None,
              on: dt.date | None = None, current: bool = True) -> QuerySet[Grid]:
    """Grids filtered by kind ("base", "special" or a special kind), level, parent, bbox, code prefix;
    current ones by default, or those valid on date `on`."""
    qs = Grid.objects.all()
    if on is not None:
        qs = qs.filter(Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on)))
    elif current:
        qs = qs.filter(valid_to__isnull=True)
    if kind == "special":
        qs = qs.exclude(kind=GridKind.BASE)
    elif kind:
        qs = qs.filter(kind=kind)
    if level is not None:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    if code:
        qs = qs.filter(code__startswith=code)
    if bbox is not None:
        qs = qs.filter(geometry__intersects=Polygon.from_bbox(bbox))
    return qs.order_by("code")


def grid_get(*, pk: int) -> Grid:
    return Grid.objects.select_related("parent", "station").get(pk=pk)


def grid_ancestors(*, grid: Grid) -> list[Grid]:
    """From the top grid down to the grid's parent."""
    ids = [int(x) for x in grid.path.strip("/").split("/") if x][:-1]
    by_id = Grid.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def grid_leaf_base_ids(*, under: Grid | None = None) -> QuerySet:
    """Ids of the current micro-grids (the database view grids_micro: current base grids with no
    current base child), optionally under one grid."""
    qs = Grid.objects.filter(pk__in=RawSQL("SELECT id FROM grids_micro", ()))
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    return qs.values_list("pk", flat=True)


def grids_geojson(qs: QuerySet[Grid], *, tolerance: float = 0.0, with_area: bool = False) -> str:
    """A FeatureCollection (text) of the grids in `qs`, built inside PostGIS; `area_m2` is
    filled only `with_area` (the geodesic area is the costliest part of a large layer)."""
    ids = list(qs.values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute(sql("grids_geojson"), {"ids": ids, "tolerance": tolerance, "with_area": with_area})
        return cur.fetchone()[0]


def grids_geojson_features(qs: QuerySet[Grid], *, tolerance: float = 0.0) -> str:
    """The features of grids_geojson as a JSON array text (ordered by code), for a paged
    collection (layers.core.paging.feature_collection)."""
    text = grids_geojson(qs, tolerance=tolerance)
    return text[text.index('"features":') + len('"features":'):-1]


def _geojson(shape) -> dict:
    return json.loads(shapely.to_geojson(shapely.transform(shape, lambda xy: np.round(xy, 7))))


def grid_coverage_report(*, parent: Grid) -> dict:
    """Gaps (parent area no current base child covers) and overlaps between base children,
    as GeoJSON polygons with areas in m², by the rules of the geometry toolkit (geometry.py)."""
    tol = settings.GEOGRID_OVERLAP_TOLERANCE_M2
    children = list(Grid.objects.filter(parent=parent, kind=GridKind.BASE, valid_to__isnull=True)
                    .order_by("code").only("pk", "code", "geometry"))
    shapes = [shp(c.geometry) for c in children]
    gaps = [{"geometry": _geojson(g), "area_m2": round(a, 2)} for g, a in coverage_gaps(parent.geometry, shapes, tol)]
    overlaps = [{"grids": [{"id": children[i].pk, "code": children[i].code}, {"id": children[j].pk, "code": children[j].code}],
                 "geometry": _geojson(g), "area_m2": round(area, 2)}
                for i, j, g, area in sorted(coverage_overlaps(shapes, tol), key=lambda t: -t[3])]
    parent_area = geodesic_area_m2(parent.geometry)
    children = len(children)
    return {
        "parent": {"id": parent.pk, "code": parent.code, "name": parent.name},
        "parent_area_m2": round(parent_area, 2),
        "base_children": children,
        "gaps": gaps,
        "gap_area_m2": round(sum(g["area_m2"] for g in gaps), 2),
        "overlaps": overlaps,
        "overlap_area_m2": round(sum(o["area_m2"] for o in overlaps), 2),
        "complete": children > 0 and not gaps and not overlaps,
    }
