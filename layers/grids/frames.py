"""Grids as a GeoDataFrame: the one reader, for the map pages and the file exports alike.
Boundaries are not personal data; callers pass grids they have already scoped."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from layers.core.sqlfiles import sql_loader

from .models import Grid

sql = sql_loader("grids")

# Degrees; ~1 m at Shanghai. Enough to drop digitising noise at street zoom, not to move edges.
DEFAULT_TOLERANCE = 0.00001

# `parent` is the parent's id; with details=True also parent_code, station (name), valid_from, valid_to.
GRID_COLUMNS = ["id", "code", "name", "level", "kind", "use", "parent", "version"]
DETAIL_COLUMNS = ["parent_code", "station", "valid_from", "valid_to"]


def tolerance_for(n: int) -> float:
    """Simplification for a map of n grids: ~1 m for a street, ~5 m for a district-wide view."""
    return DEFAULT_TOLERANCE if n <= 2000 else 0.00005


def grid_frame(qs: QuerySet[Grid] | None = None, *, ids: list[int] | None = None, tolerance: float = 0.0,
               details: bool = False) -> gpd.GeoDataFrame:
    """The grids of `qs` (or with these `ids`) as a GeoDataFrame in the storage SRID, by code:
    GRID_COLUMNS (+ DETAIL_COLUMNS with `details`) and geometry, simplified by `tolerance`
    degrees (0 keeps every vertex)."""
    if ids is None:
        ids = list(qs.values_list("pk", flat=True)) if qs is not None else []
    rows = []
    if ids:
        with connection.cursor() as cur:
            cur.execute(sql("grid_shapes"), {"ids": [int(i) for i in ids], "tolerance": tolerance})
            rows = cur.fetchall()
    columns = [*GRID_COLUMNS, *(DETAIL_COLUMNS if details else [])]
    crs = f"EPSG:{settings.GEOGRID_SRID}"
    if not rows:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=crs)
    width = len(columns)
    frame = pd.DataFrame([r[:width] for r in rows], columns=columns)
    if details:
        frame["valid_from"] = frame["valid_from"].map(str)
        frame["valid_to"] = frame["valid_to"].map(lambda d: str(d) if d else None)
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)
