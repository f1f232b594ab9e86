"""The tasks a Dask worker runs for the assignment (layers/addresses/dask_engine.py).

Plain functions of numpy, shapely, geopandas and psycopg2, no Django: a worker of a real cluster
imports this module from the installed package without settings. One task handles one spatial
tile of the address points: it reads the tile's points itself from PostgreSQL (binary COPY, so
no point travels through the scheduler), joins them against the micro-grids broadcast to every
worker (one copy per worker), applies the edge rule and returns only the rows that must change.

The rule is the one of `layers.grids.locate` and assign_micro.sql: a point goes to the current
micro-grid covering it (edges included) of the deepest level, then the lowest code in byte order
(the driver ships each grid's rank under that rule); its edge distance is metres on the grid's
local ellipsoidal scale, rounded to the centimetre as PostgreSQL rounds (half to even); it is
measured only for "dirty" points (not yet in this grid, never measured, or measured before the
grid last changed; `force` measures all), and a row is written only when its grid or distance
differs or it was never confirmed against this grid.
"""
import gc
import math
import threading
import time
from io import BytesIO

import numpy as np
import psycopg2
import shapely

_A = 6378137.0
_E2 = 0.00669437999014

# One row of the binary COPY in `read_tile`: a field count, then per column (length, value).
_ROW = np.dtype([("n", ">i2"),
                 ("l0", ">i4"), ("id", ">i8"), ("l1", ">i4"), ("geom", "V25"),
                 ("l2", ">i4"), ("grid", ">i8"), ("l3", ">i4"), ("edge", ">f8"), ("l4", ">i4"), ("at", ">i8")])
_HEADER = 19   # signature (11), flags (4), header extension length (4)
_NEVER = np.iinfo(np.int64).min   # -infinity as a binary timestamp

# The columns go out as stored (no function per row): the point as EWKB (25 bytes: byte order,
# type, SRID, x, y), assigned_at as PostgreSQL's binary timestamp (microseconds since
# 2000-01-01; -infinity for never), so every row has the same width and numpy reads them at once.
READ = """COPY (
    SELECT a.id, a.geometry, coalesce(a.grid_id, 0), coalesce(a.edge_distance_m, 'NaN'),
           coalesce(a.assigned_at, '-infinity')
    FROM addresses_address a
    WHERE a.geometry && ST_MakeEnvelope({x0!r}, {y0!r}, {x1!r}, {y1!r}, {srid}) {extra}
) TO STDOUT WITH (FORMAT binary)"""

_BIG = 1e7  # an envelope side "to infinity" in degrees


def scales(lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres per degree of longitude and latitude at these latitudes (WGS84 ellipsoid)."""
    phi = np.radians(lat_deg)
    s = np.sin(phi)
    w = 1 - _E2 * s * s
    return _A / np.sqrt(w) * np.cos(phi) * math.pi / 180, _A * (1 - _E2) / w ** 1.5 * math.pi / 180


def read_tile(dsn: dict, tile: tuple, *, srid: int, area_ewkb: str | None = None) -> dict:
    """The address points of one tile [x0, x1) x [y0, y1) (an infinite side is open): id, x, y,
    stored grid (0: none), stored edge distance (NaN: none), assigned_at in microseconds."""
    x0, y0, x1, y1 = tile
    conn = psycopg2.connect(**dsn)
    try:
        with conn.cursor() as cur:
            extra = ("AND ST_Intersects(a.geometry, " + cur.mogrify("%s::geometry", [area_ewkb]).decode() + ")"
                     if area_ewkb else "")
            query = READ.format(srid=int(srid), extra=extra,
                                x0=float(max(x0, -_BIG)), y0=float(max(y0, -_BIG)),
                                x1=float(min(x1, _BIG)), y1=float(min(y1, _BIG)))
            buf = BytesIO()
            cur.copy_expert(query, buf)
        conn.rollback()
    finally:
        conn.close()
    raw = buf.getbuffer()
    count = (len(raw) - _HEADER - 2) // _ROW.itemsize
    rows = np.frombuffer(raw, dtype=_ROW, count=max(count, 0), offset=_HEADER)
    geom = np.frombuffer(rows["geom"].tobytes(), dtype=np.uint8).reshape(-1, 25)
    if len(geom) and not (geom[:, 0] == 1).all():
        raise ValueError("address points are expected as little-endian EWKB")
    xy = geom[:, 9:25].copy().view("<f8").reshape(-1, 2)
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    # Half-open tile: a point on a shared tile side belongs to one tile only.
    keep = (x >= x0) & (y >= y0)
    if math.isfinite(x1):
        keep &= x < x1
    if math.isfinite(y1):
        keep &= y < y1
    return {"id": rows["id"][keep].astype(np.int64), "x": x[keep], "y": y[keep],
            "grid": rows["grid"][keep].astype(np.int64), "edge": rows["edge"][keep].astype(np.float64),
            "at": rows["at"][keep].astype(np.int64)}


class Grids:
    """The broadcast grids, prepared once per worker: an STRtree of the micro-grids, their
    rank under the edge rule, scaled boundaries for the edge distance; the special grids."""

    def __init__(self, payload: dict):
        self.ids = np.asarray(payload["ids"], dtype=np.int64)
        self.geoms = shapely.from_wkb(payload["wkb"]) if len(self.ids) else np.array([], dtype=object)
        self.rank = np.asarray(payload["rank"], dtype=np.int64)
        self.updated = np.asarray(payload["updated"], dtype=np.int64)
        self.tree = shapely.STRtree(self.geoms)
        if len(self.ids):
            self.kx, self.ky = scales(shapely.get_y(shapely.centroid(self.geoms)))
            boundaries = shapely.boundary(self.geoms)
            coords, owner = shapely.get_coordinates(boundaries, return_index=True)
            self.edges = shapely.set_coordinates(boundaries.copy(),
                                                 coords * np.column_stack([self.kx[owner], self.ky[owner]]))
        self.special_ids = np.asarray(payload["special_ids"], dtype=np.int64)
        self.special_tree = shapely.STRtree(shapely.from_wkb(payload["special_wkb"])) \
            if len(self.special_ids) else None


_prepared: dict[str, Grids] = {}
_lock = threading.Lock()


def prepared(payload: dict) -> Grids:
    """The worker's prepared copy of a run's grids (threads of one worker share it)."""
    key = payload["key"]
    with _lock:
        grids = _prepared.get(key)
        if grids is None:
            _prepared.clear()  # one run at a time per worker keeps memory bounded
            grids = _prepared[key] = Grids(payload)
        return grids


def winners(grids: Grids, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per point the index of its micro-grid under the edge rule, -1 where none covers it."""
    out = np.full(len(x), -1, dtype=np.int64)
    if len(x) == 0 or len(grids.ids) == 0:
        return out
    # Driven from the polygons, as assign_micro.sql is: a tree of the tile's points, each grid
    # (prepared once per query) asks for the points it covers (edges included). About twice as
    # fast as asking the grid tree once per point.
    points = shapely.points(x, y)
    g_idx, p_idx = shapely.STRtree(points).query(grids.geoms, predicate="covers")
    if len(p_idx) == 0:
        return out
    # Edge rule: per point the covering grid of lowest rank wins. Most points have one grid, so
    # one pass assigns every hit and a second, in falling rank, leaves the best one last.
    order = np.argsort(grids.rank[g_idx], kind="stable")[::-1]
    out[p_idx[order]] = g_idx[order]
    return out


def assign_tile(dsn: dict, tile: tuple, payload: dict, *, srid: int, near: float, force: bool,
                area_ewkb: str | None = None) -> dict:
    """Read one tile, join it, and return the rows to write and the tile's counts."""
    # Hundreds of thousands of short-lived geometry objects would wake the cyclic garbage
    # collector again and again over the whole heap (measured: shapely.points of 200,000 points
    # 0.63 s instead of 0.03 s); they hold no cycles, so it rests for the task.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _assign_tile(dsn, tile, payload, srid=srid, near=near, force=force, area_ewkb=area_ewkb)
    finally:
        if enabled:
            gc.enable()


def _assign_tile(dsn: dict, tile: tuple, payload: dict, *, srid: int, near: float, force: bool,
                 area_ewkb: str | None) -> dict:
    t0 = time.perf_counter()
    pts = read_tile(dsn, tile, srid=srid, area_ewkb=area_ewkb)
    t1 = time.perf_counter()
    grids = prepared(payload)
    x, y, old, stored_edge, at = pts["x"], pts["y"], pts["grid"], pts["edge"], pts["at"]
    g = winners(grids, x, y)
    has = g >= 0
    new = np.where(has, grids.ids[np.maximum(g, 0)], 0) if len(grids.ids) else np.zeros(len(x), dtype=np.int64)
    updated = np.where(has, grids.updated[np.maximum(g, 0)], 0) if len(grids.ids) else np.zeros(len(x), dtype=np.int64)
    unconfirmed = (at == _NEVER) | (at < updated)
    dirty = has & (force | (old != new) | np.isnan(stored_edge) | unconfirmed)
    edge = stored_edge.copy()
    d = np.flatnonzero(dirty)
    if len(d):
        gd = g[d]
        scaled = shapely.points(x[d] * grids.kx[gd], y[d] * grids.ky[gd])
        edge[d] = np.round(shapely.distance(grids.edges[gd], scaled) * 100) / 100
    differs = (old != new) | ~((edge == stored_edge) | (np.isnan(edge) & np.isnan(stored_edge)))
    write = (dirty & (differs | unconfirmed)) | (~has & (old != 0))   # a lost grid is cleared
    edge = np.where(has, edge, np.nan)
    near_mask = has & (edge <= near)
    w = np.flatnonzero(write)
    result = {"considered": int(len(x)), "assigned": int(has.sum()), "near": int(near_mask.sum()),
              "read_s": t1 - t0, "join_s": time.perf_counter() - t1,
              "id": pts["id"][w], "old": old[w], "new": new[w], "edge": edge[w]}
    if grids.special_tree is not None and len(x):
        p_idx, s_idx = grids.special_tree.query(shapely.points(x, y), predicate="intersects")
        result["special_address"], result["special_grid"] = pts["id"][p_idx], grids.special_ids[s_idx]
    else:
        result["special_address"] = result["special_grid"] = np.array([], dtype=np.int64)
    return result
