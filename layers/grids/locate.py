"""One locate: where a point is, for every caller (the /api/locate/ route, incident intake, move
and re-route, the service card, plan impact, the addresses after a publish).

Rules, written once here and in the database view `grids_micro` (migration grids 0002):
- micro-grid: a current base grid with no current base child (on a past date: valid then, with no
  base child valid then);
- edge rule: a point covered by several grids (it lies on their shared edge) goes to the one of
  the deepest level, then the lowest code (byte order); the bulk assignment (assign_micro.sql)
  applies the same rule;
- gap: a point covered by base grids but by no micro-grid has no micro-grid; its answer is the
  chain of the base grids covering it (deepest first, edge rule for the deepest) and a gap flag.
  Incidents there are routed to the deepest grid of that chain (`Location.route`);
- outside every base grid: no answer (None);
- edge distance: metres on the grid's local ellipsoidal scale (WGS84 radii of curvature at its
  centroid latitude), planar: within millimetres of the geodesic distance at grid scale.

Behind it, an in-process index per worker: the grids in a shapely STRtree, rebuilt when the token
in grids_gridstate changes (a trigger bumps it with every statement that writes grids, their
versions or stations, and a rollback restores it), so a lookup costs one tiny query and
vectorised geometry. Past dates get an index of the versions valid then (a few kept).

Lookups: `locate` (one point), `locate_many` (a batch, objects), `locate_json` (a batch, JSON text
as the API returns it), `locate_in_plan` (a plan's draft grids)."""
import gc
import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
import datetime as dt

import numpy as np
import psycopg2
import shapely
from django.conf import settings
from django.db import connection

from layers.core.sqlfiles import sql_loader

sql = sql_loader("grids")

_A = 6378137.0
_E2 = 0.00669437999014


def _scales(lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres per degree of longitude and latitude at these latitudes (WGS84 ellipsoid)."""
    phi = np.radians(lat_deg)
    s = np.sin(phi)
    w = 1 - _E2 * s * s
    kx = _A / np.sqrt(w) * np.cos(phi) * math.pi / 180
    ky = _A * (1 - _E2) / w ** 1.5 * math.pi / 180
    return kx, ky


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def edge_rank(rows: list, level: int = 3, code: int = 1) -> np.ndarray:
    """Rank of each row under the edge rule (0 wins): deepest level first, then lowest code in
    byte order. `level`, `code`: the positions of those fields in a row."""
    n = len(rows)
    order = sorted(range(n), key=lambda i: (-rows[i][level], (rows[i][code] or "").encode()))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def _first_per_point(p_idx: np.ndarray, g_idx: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the hit of lowest rank: (points, grids)."""
    order = np.lexsort((rank[g_idx], p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.ones(len(p_idx), dtype=bool)
    first[1:] = p_idx[1:] != p_idx[:-1]
    return p_idx[first], g_idx[first]


class _Index:
    """Rows: (id, code, name, level, kind, path, wkb, is_micro, station_id)."""

    def __init__(self, token: str, rows: list, stations: dict):
        self.token = token
        n = len(rows)
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        geoms = shapely.from_wkb([bytes(r[6]) for r in rows]) if n else np.array([], dtype=object)
        # Prepared once (GEOS builds each polygon's edge index on first use): a point-in-polygon
        # test against a prepared polygon is logarithmic in its vertices, where the tree's own
        # predicate prepares the query point and walks every vertex of each candidate (a district's
        # thousands, on every lookup). Measured: a single lookup's query 57 -> 21 us, 10,000 points
        # 406 -> 12 ms, same pairs.
        # GEOS's prepared geometries are not thread-safe (they build their indexes lazily, and
        # shapely releases the GIL inside a predicate): the threads of one gunicorn worker take
        # turns at the predicate (without it a worker of the growth run aborted on a corrupt heap).
        shapely.prepare(geoms)
        self.prepared_lock = threading.Lock()
        self.geoms = geoms
        self.tree = shapely.STRtree(geoms)
        self.is_micro = np.array([bool(r[7]) for r in rows], dtype=bool)
        self.is_special = np.array([r[4] != "base" for r in rows], dtype=bool)
        self.rank = edge_rank(rows)
        lat = shapely.get_y(shapely.centroid(geoms)) if n else np.array([])
        self.kx, self.ky = _scales(lat)
        boundaries = shapely.boundary(geoms) if n else np.array([], dtype=object)
        if n:
            coords, owner = shapely.get_coordinates(boundaries, return_index=True)
            coords = coords * np.column_stack([self.kx[owner], self.ky[owner]])
            self.edges = shapely.set_coordinates(boundaries.copy(), coords)
        else:
            self.edges = boundaries
        by_id = {r[0]: r for r in rows}

        def brief(r):
            return {"id": r[0], "code": r[1], "name": r[2], "level": r[3]}

        self.brief = [brief(r) for r in rows]
        # Per base grid the two halves of its answer around the special grids and the edge part:
        # a micro-grid's answer names it; any other base grid's is the answer of a gap there.
        self.head, self.special_json = [None] * n, [None] * n
        for i, r in enumerate(rows):
            if r[4] != "base":
                self.special_json[i] = _dumps({"id": r[0], "code": r[1], "name": r[2], "kind": r[4]})
                continue
            chain_ids = [int(x) for x in r[5].strip("/").split("/") if x]
            chain = [brief(by_id[c]) for c in reversed(chain_ids) if c in by_id]
            station = next((stations[by_id[c][8]] for c in reversed(chain_ids)
                            if c in by_id and by_id[c][8] in stations), None)
            grid = _dumps(brief(r)) if self.is_micro[i] else "null"
            self.head[i] = (f'{{"grid":{grid},"chain":{_dumps(chain)},"special":',
                            f',"station":{_dumps(station)},"gap":{"false" if self.is_micro[i] else "true"}')

    def hits(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, grid) pairs where the grid covers the point (edges included)."""
        pts = shapely.points(xs, ys)
        # Boxes from the tree, then the prepared polygons decide. For a point and a polygon
        # "intersects" is "covered_by" (edges included), and faster.
        p_idx, g_idx = self.tree.query(pts)
        with self.prepared_lock:
            inside = shapely.intersects(self.geoms[g_idx], pts[p_idx])
        return p_idx[inside], g_idx[inside]

    def locate_one(self, x: float, y: float) -> str | None:
        """`locate` of one point, in scalars: the same answer without the array steps, which
        cost a single lookup more than its query (the hot path of /api/locate/)."""
        point = shapely.Point(x, y)
        boxes = self.tree.query(point)
        with self.prepared_lock:
            inside = shapely.intersects(self.geoms[boxes], point)
        hits = boxes[inside].tolist()
        if not hits:
            return None
        rank, is_micro, is_special = self.rank, self.is_micro, self.is_special
        specials = sorted((g for g in hits if is_special[g]), key=lambda g: rank[g])
        special = "[" + ",".join(self.special_json[g] for g in specials) + "]"
        micro = [g for g in hits if is_micro[g]]
        if micro:
            g = min(micro, key=lambda g: rank[g])
            d = shapely.distance(self.edges[g], shapely.Point(x * self.kx[g], y * self.ky[g]))
            a, b = self.head[g]
            nb = "true" if d <= settings.GEOGRID_NEAR_BOUNDARY_M else "false"
            # round(d * 100) / 100 is numpy's np.round(d, 2) (rint of d * 100, over 100) in scalars.
            return f'{a}{special}{b},"near_boundary":{nb},"edge_distance_m":{round(float(d) * 100) / 100}}}'
        base = [g for g in hits if not is_special[g]]
        if not base:
            return None
        a, b = self.head[min(base, key=lambda g: rank[g])]
        return f'{a}{special}{b},"near_boundary":false,"edge_distance_m":null}}'

    def locate(self, xs: np.ndarray, ys: np.ndarray) -> list[str | None]:
        n = len(xs)
        out: list[str | None] = [None] * n
        if n == 0 or len(self.ids) == 0:
            return out
        if n == 1:
            return [self.locate_one(float(xs[0]), float(ys[0]))]
        p_idx, g_idx = self.hits(xs, ys)
        micro = self.is_micro[g_idx]
        leaf_p, leaf_g = _first_per_point(p_idx[micro], g_idx[micro], self.rank)
        sx = xs[leaf_p] * self.kx[leaf_g]
        sy = ys[leaf_p] * self.ky[leaf_g]
        dist = shapely.distance(self.edges[leaf_g], shapely.points(sx, sy))
        # Gaps: points covered by base grids but by no micro-grid; the deepest base grid speaks.
        base = ~self.is_special[g_idx]
        if base.any():
            in_micro = np.zeros(n, dtype=bool)
            in_micro[leaf_p] = True
            gap = base & ~in_micro[p_idx]
            gap_p, gap_g = _first_per_point(p_idx[gap], g_idx[gap], self.rank)
        else:
            gap_p = gap_g = np.array([], dtype=np.int64)
        specials: dict[int, list[int]] = {}
        sp = self.is_special[g_idx]
        if sp.any():
            for p, g in zip(p_idx[sp].tolist(), g_idx[sp].tolist()):
                specials.setdefault(p, []).append(g)
        head, special_json, rank = self.head, self.special_json, self.rank

        def special(p):
            s = specials.get(p)
            return "[" + ",".join(special_json[x] for x in sorted(s, key=lambda x: rank[x])) + "]" if s else "[]"

        near = settings.GEOGRID_NEAR_BOUNDARY_M
        is_near = (dist <= near).tolist()
        for p, g, d, nb in zip(leaf_p.tolist(), leaf_g.tolist(), np.round(dist, 2).tolist(), is_near):
            a, b = head[g]
            out[p] = f'{a}{special(p)}{b},"near_boundary":{"true" if nb else "false"},"edge_distance_m":{d}}}'
        for p, g in zip(gap_p.tolist(), gap_g.tolist()):
            a, b = head[g]
            out[p] = f'{a}{special(p)}{b},"near_boundary":false,"edge_distance_m":null}}'
        return out

    def micro_candidates(self, x: float, y: float) -> list[dict]:
        """The micro-grids of the deepest level covering a point (several on a shared edge)."""
        _p, g = self.hits(np.array([x]), np.array([y]))
        g = [i for i in g.tolist() if self.is_micro[i]]
        if not g:
            return []
        deepest = max(self.brief[i]["level"] for i in g)
        return [{"id": self.brief[i]["id"], "code": self.brief[i]["code"]}
                for i in sorted(g, key=lambda i: self.rank[i]) if self.brief[i]["level"] == deepest]


_lock = threading.Lock()
_current: dict[str, _Index] = {}
_dated: "OrderedDict[tuple[dt.date, str], _Index]" = OrderedDict()
_DATED_KEPT = 4


def _current_token(cur) -> str:
    cur.execute("SELECT token::text FROM grids_gridstate WHERE id = 1")
    row = cur.fetchone()
    return row[0] if row else ""


def _stations(cur) -> dict:
    cur.execute("SELECT id, code, name, phone FROM grids_station")
    return {i: {"id": i, "code": c, "name": n, "phone": p} for i, c, n, p in cur.fetchall()}


def _token_fast() -> str:
    """The token on the raw connection: Django's per-request health check (a SELECT 1 before
    the first query) would double the round trips of a lookup. A dead connection shows here
    as an error: it is closed and the read retried once on a fresh one."""
    for attempt in (1, 2):
        try:
            connection.ensure_connection()
            with connection.connection.cursor() as cur:
                return _current_token(cur)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            connection.close()
            if attempt == 2:
                raise
    return ""


# When today's token was last read from the database (monotonic seconds), per process.
_checked = {"at": float("-inf")}


def _index(on: dt.date | None = None, *, token_max_age: float = 0.0) -> _Index:
    """The index of today's grids, or of those valid on date `on`; rebuilt when grids changed.
    token_max_age > 0 (the hot path of single lookups, geogrid/hotpath.py) trusts a token read
    that many seconds ago instead of a round trip per lookup: a change is seen that much later."""
    if on is None and token_max_age > 0 and not connection.in_atomic_block:
        index = _current.get("current")
        if index is not None and time.monotonic() - _checked["at"] < token_max_age:
            return index
    checked = None
    if on is None and not connection.in_atomic_block and connection.connection is not None:
        checked = time.monotonic()
        token = _token_fast()
    else:
        # Inside a transaction (tests, services) go through Django's cursor as usual.
        with connection.cursor() as cur:
            token = _current_token(cur)
    if on is None:
        index = _current.get("current")
        if index is None or index.token != token:
            with _lock, connection.cursor() as cur:
                index = _current.get("current")
                if index is None or index.token != token:
                    cur.execute(sql("locate_index"))
                    index = _Index(token, cur.fetchall(), _stations(cur))
                    _current["current"] = index
        if checked is not None:
            _checked["at"] = checked
        return index
    key = (on, token)
    with _lock:
        index = _dated.get(key)
        if index is not None:
            _dated.move_to_end(key)
            return index
    with connection.cursor() as cur:
        cur.execute(sql("locate_index_on"), {"on": on})
        index = _Index(token, cur.fetchall(), _stations(cur))
    with _lock:
        _dated[key] = index
        while len(_dated) > _DATED_KEPT:
            _dated.popitem(last=False)
    return index


def warm() -> None:
    """Build (or check) today's index: what the first lookup would otherwise pay for."""
    _index()


def locate_json(points, *, on: dt.date | None = None, token_max_age: float = 0.0) -> list[str | None]:
    """For each (x, y) point in the storage datum, its answer as JSON text:
    {"grid", "chain", "special", "station", "gap", "near_boundary", "edge_distance_m"};
    in a gap "grid" is null, "gap" true and the chain holds the base grids covering the point;
    None outside every base grid. Today's grids, or those valid on date `on`."""
    if len(points) == 0:
        return []
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    index = _index(on, token_max_age=token_max_age)
    # Thousands of short-lived geometry objects would trigger the cyclic garbage collector again
    # and again over the whole heap (measured: 7.7 ms instead of 1.2 ms for 10,000 points);
    # they hold no cycles, so it rests for the duration of the call.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return index.locate(np.ascontiguousarray(arr[:, 0]), np.ascontiguousarray(arr[:, 1]))
    finally:
        if enabled:
            gc.enable()


@dataclass
class Location:
    """Where a point is. `grid`: the micro-grid, None in a gap; `chain`: from the micro-grid (in a
    gap: from the deepest base grid covering the point) up to the top, each {id, code, name, level};
    `special`: the special grids covering it; `station`: the nearest station up the chain."""
    grid: dict | None
    chain: list[dict]
    special: list[dict]
    station: dict | None
    gap: bool
    near_boundary: bool
    edge_distance_m: float | None
    candidates: list[dict] = field(default_factory=list)

    @property
    def route(self) -> dict:
        """The grid a matter at this point goes to: the micro-grid, or in a gap the deepest base
        grid covering the point."""
        return self.chain[0]

    @property
    def station_id(self) -> int | None:
        return self.station["id"] if self.station else None


def _location(text: str | None) -> Location | None:
    if text is None:
        return None
    d = json.loads(text)
    return Location(grid=d["grid"], chain=d["chain"], special=d["special"], station=d["station"], gap=d["gap"],
                    near_boundary=d["near_boundary"],
                    edge_distance_m=None if d["edge_distance_m"] is None else float(d["edge_distance_m"]))


def locate_many(points, *, on: dt.date | None = None) -> list[Location | None]:
    """`locate` for a batch of (x, y) points."""
    return [_location(t) for t in locate_json(points, on=on)]


def locate(*, lon: float, lat: float, on: dt.date | None = None) -> Location | None:
    """Where a point (storage datum) is, today or on date `on`: a Location (a gap is one with
    `gap` set), or None outside every base grid. `candidates` lists the micro-grids of the
    deepest level covering the point (several on a shared edge; the first wins)."""
    (text,) = locate_json([(lon, lat)], on=on)
    loc = _location(text)
    if loc is not None and not loc.gap:
        loc.candidates = _index(on).micro_candidates(float(lon), float(lat))
    return loc


def locate_in_plan(*, plan_grids: list[tuple[int, str, object]], points) -> list[int | None]:
    """For each (x, y) point, the id of the plan grid holding it, from a plan's draft base grids
    given as (id, code, shapely geometry); all are of one level, so the edge rule is the lowest
    code: the live code a plan grid continues, then new grids (code "") by id. None where no plan grid covers the point."""
    n = len(points)
    if n == 0 or not plan_grids:
        return [None] * n
    ordered = sorted(range(len(plan_grids)), key=lambda i: (not plan_grids[i][1], (plan_grids[i][1] or "").encode(),
                                                             plan_grids[i][0]))
    rank = np.empty(len(plan_grids), dtype=np.int64)
    rank[ordered] = np.arange(len(plan_grids))
    tree = shapely.STRtree([g[2] for g in plan_grids])
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    p_idx, g_idx = tree.query(shapely.points(arr[:, 0], arr[:, 1]), predicate="intersects")
    leaf_p, leaf_g = _first_per_point(p_idx, g_idx, rank)
    out: list[int | None] = [None] * n
    for p, g in zip(leaf_p.tolist(), leaf_g.tolist()):
        out[p] = plan_grids[g][0]
    return out
