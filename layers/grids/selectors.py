"""Reads of grids. Boundaries are not personal data: any logged-in user may read them."""
import datetime as dt
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Grid, GridKind
from .sqlfiles import sql


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


def grid_descendants(*, grid: Grid, current: bool = True) -> QuerySet[Grid]:
    qs = Grid.objects.filter(path__startswith=grid.path).exclude(pk=grid.pk)
    return qs.filter(valid_to__isnull=True) if current else qs


def grid_leaf_base_ids(*, under: Grid | None = None) -> QuerySet:
    """Ids of current base grids with no current base children: the micro-grids."""
    qs = Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE)
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    has_children = Grid.objects.filter(parent_id=OuterRef("pk"), valid_to__isnull=True, kind=GridKind.BASE)
    return qs.filter(~Exists(has_children)).values_list("pk", flat=True)


def grids_geojson(qs: QuerySet[Grid], *, tolerance: float = 0.0, with_area: bool = False) -> str:
    """A FeatureCollection (text) of the grids in `qs`, built inside PostGIS; `area_m2` is
    filled only `with_area` (the geodesic area is the costliest part of a large layer)."""
    ids = list(qs.values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute(sql("grids_geojson"), {"ids": ids, "tolerance": tolerance, "with_area": with_area})
        return cur.fetchone()[0]


def grid_coverage_report(*, parent: Grid) -> dict:
    """Gaps (parent area no current base child covers) and overlaps between base children,
    as GeoJSON polygons with areas in m²."""
    tol = settings.GEOGRID_OVERLAP_TOLERANCE_M2
    with connection.cursor() as cur:
        cur.execute(sql("coverage_gaps"), {"parent": parent.pk, "tol": tol})
        gaps = [{"geometry": json.loads(g), "area_m2": round(a, 2)} for g, a in cur.fetchall()]
        cur.execute(sql("coverage_overlaps"), {"parent": parent.pk, "tol": tol})
        overlaps = [{"grids": [{"id": a, "code": ac}, {"id": b, "code": bc}],
                     "geometry": json.loads(g), "area_m2": round(area, 2)}
                    for a, ac, b, bc, g, area in cur.fetchall()]
        cur.execute("SELECT ST_Area(geometry::geography) FROM grids_grid WHERE id = %s", [parent.pk])
        parent_area = cur.fetchone()[0]
    children = Grid.objects.filter(parent=parent, kind=GridKind.BASE, valid_to__isnull=True).count()
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


@dataclass
class Located:
    """Where a point is: the micro-grid, its chain to the top, the special grids there."""
    grid: dict
    chain: list[dict]
    special: list[dict]
    station_id: int | None
    edge_distance_m: float
    near_boundary: bool
    candidates: list[dict] = field(default_factory=list)


def grid_locate(*, lon: float, lat: float) -> Located | None:
    """The current micro-grid holding a point (storage datum), or None in a coverage gap.

    Edge rule: a point on an edge shared by two base grids of the same level goes to the one
    with the lowest code (stable, and the same in every lookup path)."""
    with connection.cursor() as cur:
        cur.execute(sql("locate"), {"lon": lon, "lat": lat, "srid": settings.GEOGRID_SRID})
        rows = [dict(zip(("id", "code", "name", "level", "kind", "path", "station_id", "edge_m"), r))
                for r in cur.fetchall()]
    base = [r for r in rows if r["kind"] == GridKind.BASE]
    if not base:
        return None
    deepest = max(r["level"] for r in base)
    leaf = min((r for r in base if r["level"] == deepest), key=lambda r: r["code"])
    chain_ids = [int(x) for x in leaf["path"].strip("/").split("/")]
    by_id = {r["id"]: r for r in base}
    missing = [i for i in chain_ids if i not in by_id]
    if missing:
        for g in Grid.objects.filter(pk__in=missing).values("id", "code", "name", "level"):
            by_id[g["id"]] = g
    chain = [{k: by_id[i][k] for k in ("id", "code", "name", "level")} for i in reversed(chain_ids)]
    special = [{"id": r["id"], "code": r["code"], "name": r["name"], "kind": r["kind"]}
               for r in sorted(rows, key=lambda r: r["code"]) if r["kind"] != GridKind.BASE]
    edge = float(leaf["edge_m"])
    return Located(grid=chain[0], chain=chain, special=special, station_id=leaf["station_id"],
                   edge_distance_m=round(edge, 2), near_boundary=edge <= settings.GEOGRID_NEAR_BOUNDARY_M,
                   candidates=[{"id": r["id"], "code": r["code"]} for r in base if r["level"] == deepest])
