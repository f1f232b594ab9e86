"""Bulk assignment on a Dask cluster: the same rule and the same report as the in-database
path (services.addresses_assign_all), with the work spread over the cluster's workers.

A run:
1. the driver (this process) reads the current micro-grids and special grids once, ranks them
   under the edge rule (`layers.grids.locate.edge_rank`: deepest level, then lowest code) and
   broadcasts them to every worker (one copy each);
2. the address points are cut into spatial tiles of about equal counts (quantiles of a sample
   of the table: strips along x, each cut along y), several per worker; each task reads its
   tile from PostgreSQL itself (binary COPY, GiST-indexed box), joins it against the broadcast
   grids and returns only the rows whose grid or edge distance must change, plus counts;
3. the driver writes those rows back by binary COPY into a temporary table and one UPDATE
   (unchanged rows are not touched), brings the special-grid links up to date (only links that
   changed) and builds the diff and the gap list, in one transaction.

Workers read committed data: inside a transaction (a plan's publish) the driver's own view of
the grids is what is broadcast, the addresses are read as committed (a publish does not write
addresses before this hook), and the writes go through the driver's transaction, so a failure
rolls the publish back as with the in-database path.
"""
import datetime as dt
import math
import time
import uuid
from collections import Counter

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from layers.core.cluster import dask_client, database_dsn
from layers.core.partitions import district_code_of
from layers.grids.locate import edge_rank

from .dask_tasks import assign_tile
from .services import AssignmentReport, _filters, sql

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
_CHANGE = np.dtype([("n", ">i2"), ("l0", ">i4"), ("id", ">i8"), ("l1", ">i4"), ("old", ">i8"),
                    ("l2", ">i4"), ("new", ">i8"), ("l3", ">i4"), ("edge", ">f8"), ("l4", ">i4"),
                    ("district", ">i8")])
_PAIR = np.dtype([("n", ">i2"), ("l0", ">i4"), ("a", ">i8"), ("l1", ">i4"), ("g", ">i8")])


def _copy_binary(cur, table: str, columns: str, dtype: np.dtype, fields: dict) -> None:
    """COPY fixed-width rows (no NULLs) into `table` in PostgreSQL's binary format."""
    n = len(next(iter(fields.values())))
    rows = np.zeros(n, dtype=dtype)
    rows["n"] = len(fields)
    for k, name in enumerate(fields):
        rows[f"l{k}"] = 8
        rows[name] = fields[name]
    from io import BytesIO
    cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)",
                    BytesIO(_COPY_HEADER + rows.tobytes() + _COPY_TRAILER))


_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def _pg_micros(value: dt.datetime) -> int:
    """A timestamp as PostgreSQL's binary format holds it: microseconds since 2000-01-01 UTC."""
    return (value - _PG_EPOCH) // dt.timedelta(microseconds=1)


def grid_payload(*, grid_filter: str = "TRUE", special_filter: str = "TRUE", params: dict | None = None) -> dict:
    """The grids every worker gets: current micro-grids (WKB, rank under the edge rule, last
    change in microseconds, district code as a number for the write) and current special grids."""
    with connection.cursor() as cur:
        cur.execute(f"""SELECT g.id, g.code, g.level, ST_AsBinary(g.geometry), g.updated_at
                        FROM grids_grid g WHERE g.id IN (SELECT id FROM grids_micro) AND {grid_filter}
                        ORDER BY g.id""", params or {})
        micro = cur.fetchall()
        cur.execute(f"""SELECT s.id, ST_AsBinary(s.geometry) FROM grids_grid s
                        WHERE s.valid_to IS NULL AND s.kind <> 'base' AND {special_filter} ORDER BY s.id""",
                    params or {})
        special = cur.fetchall()
    rows = [(r[0], r[1], None, r[2]) for r in micro]   # edge_rank reads code at 1, level at 3
    return {"key": uuid.uuid4().hex, "ids": [r[0] for r in micro], "wkb": [bytes(r[3]) for r in micro],
            "rank": edge_rank(rows).tolist() if rows else [], "updated": [_pg_micros(r[4]) for r in micro],
            "districts": [int(district_code_of(r[1])) for r in micro],
            "special_ids": [r[0] for r in special], "special_wkb": [bytes(r[1]) for r in special]}


def spatial_tiles(count: int, *, point_filter: str = "TRUE", params: dict | None = None,
                  sample_rows: int = 20_000) -> list[tuple]:
    """About `count` tiles (x0, y0, x1, y1) of about equal numbers of address points, half-open,
    the outer sides infinite: strips along x at quantiles of a sample of the points, each strip
    cut along y at the quantiles of its own points."""
    with connection.cursor() as cur:
        cur.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'addresses_address'::regclass")
        estimate = cur.fetchone()[0] or 0
        if estimate > 2 * sample_rows:
            pct = min(100.0, 100.0 * sample_rows / estimate)
            cur.execute(f"SELECT ST_X(a.geometry), ST_Y(a.geometry) FROM addresses_address a "
                        f"TABLESAMPLE SYSTEM ({pct:.4f}) REPEATABLE (1) WHERE {point_filter}", params or {})
        else:
            cur.execute(f"SELECT ST_X(a.geometry), ST_Y(a.geometry) FROM addresses_address a WHERE {point_filter} "
                        f"LIMIT {4 * sample_rows}", params or {})
        sample = np.array(cur.fetchall(), dtype=float).reshape(-1, 2)
    inf = math.inf
    if count <= 1 or len(sample) < 2 * count:
        return [(-inf, -inf, inf, inf)]
    nx = max(1, int(math.sqrt(count)))
    ny = max(1, math.ceil(count / nx))
    xcuts = [-inf, *np.quantile(sample[:, 0], [k / nx for k in range(1, nx)]).tolist(), inf]
    tiles = []
    for x0, x1 in zip(xcuts[:-1], xcuts[1:]):
        strip = sample[(sample[:, 0] >= x0) & (sample[:, 0] < x1), 1]
        ycuts = [-inf, *(np.quantile(strip, [k / ny for k in range(1, ny)]).tolist() if len(strip) else []), inf]
        for y0, y1 in zip(ycuts[:-1], ycuts[1:]):
            if y0 < y1:
                tiles.append((x0, y0, x1, y1))
    return tiles


def addresses_assign_dask(*, area: GEOSGeometry | None = None, force: bool = False, gap_limit: int = 100,
                          client=None, scheduler: str | None = None, workers: int | None = None,
                          tiles_per_worker: int = 4) -> AssignmentReport:
    """Assign every address (or those in `area`) to its micro-grid and special grids on a Dask
    cluster; the report is the in-database path's. `client`: a distributed.Client to use
    (else one from `dask_client(scheduler=..., workers=...)` for this run)."""
    if client is None:
        with dask_client(scheduler=scheduler, workers=workers) as own:
            return addresses_assign_dask(area=area, force=force, gap_limit=gap_limit, client=own,
                                         tiles_per_worker=tiles_per_worker)
    started = time.perf_counter()
    report = AssignmentReport()
    steps = report.steps
    point, grid_g, grid_s, params = _filters(area=area, ids=None)
    area_ewkb = params["area"].hex() if area is not None else None
    t = time.perf_counter()
    payload = grid_payload(grid_filter=grid_g, special_filter=grid_s, params=params)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    tiles = spatial_tiles(n_workers * tiles_per_worker, point_filter=point, params=params)
    steps["grids_and_tiles"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    # One future for the whole payload (a dict given to scatter alone would become one key per item).
    (grids,) = client.scatter([payload], broadcast=True, hash=False)
    futures = [client.submit(assign_tile, database_dsn(), tile, grids, srid=settings.GEOGRID_SRID,
                             near=float(settings.GEOGRID_NEAR_BOUNDARY_M), force=bool(force),
                             area_ewkb=area_ewkb, pure=False) for tile in tiles]
    parts = client.gather(futures)
    client.cancel(grids)
    steps["read_and_join"] = round(time.perf_counter() - t, 3)
    steps["tiles"] = len(tiles)
    steps["workers"] = n_workers
    steps["tasks_read_s"] = round(sum(p["read_s"] for p in parts), 3)   # summed over tasks
    steps["tasks_join_s"] = round(sum(p["join_s"] for p in parts), 3)
    computed = time.perf_counter()
    _write(report, parts, point=point, params=params, gap_limit=gap_limit,
           districts=(np.array(payload["ids"], dtype=np.int64), np.array(payload["districts"], dtype=np.int64)))
    report.seconds = round(time.perf_counter() - started, 3)
    report.compute_seconds = round(computed - started, 3)
    return report


@transaction.atomic
def _write(report: AssignmentReport, parts: list[dict], *, point: str, params: dict, gap_limit: int,
           districts: tuple[np.ndarray, np.ndarray]) -> None:
    """Write the changed rows. `districts`: the micro-grids' ids (ascending) and their district
    codes as numbers; each row takes its new grid's (0 for none), so the row lands in the
    partition of its grid's district (layers/core/partitions.py) without a lookup per row."""
    steps = report.steps
    ids = np.concatenate([p["id"] for p in parts]) if parts else np.array([], dtype=np.int64)
    old = np.concatenate([p["old"] for p in parts]) if parts else ids
    new = np.concatenate([p["new"] for p in parts]) if parts else ids
    edge = np.concatenate([p["edge"] for p in parts]) if parts else np.array([], dtype=float)
    grid_ids, grid_districts = districts
    at = np.clip(np.searchsorted(grid_ids, new), 0, max(len(grid_ids) - 1, 0))
    district = (np.where((new != 0) & (grid_ids[at] == new), grid_districts[at], 0) if len(grid_ids)
                else np.zeros(len(new), dtype=np.int64))
    report.considered = sum(p["considered"] for p in parts)
    report.assigned = sum(p["assigned"] for p in parts)
    report.near_boundary = sum(p["near"] for p in parts)
    report.gap_count = report.considered - report.assigned
    tag = uuid.uuid4().hex[:12]
    changes, special = f"addresses_dask_changes_{tag}", f"addresses_dask_special_{tag}"
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(f"CREATE TEMP TABLE {changes} (id bigint, old_grid bigint, new_grid bigint, edge_m float8, "
                    f"new_district bigint) "
                    f"ON COMMIT DROP; CREATE TEMP TABLE {special} (address_id bigint, grid_id bigint) ON COMMIT DROP")
        if len(ids):
            _copy_binary(cur.cursor, changes, "id, old_grid, new_grid, edge_m, new_district", _CHANGE,
                         {"id": ids, "old": old, "new": new, "edge": edge, "district": district})
            cur.execute(f"ANALYZE {changes}")
            if len(ids) * 10 < report.considered:
                # A few changed rows among many: PostgreSQL prices a hash join (a scan of the whole
                # table) below one index probe per changed row; measured on 50,000 of 1,000,000,
                # the probes find the rows in a third of the time (111-144 ms vs 313-509 ms). The
                # rest of the write (about 0.8 s) is the six indexes taking each new row version.
                cur.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
            # Only the changed rows; a row whose grid moved meanwhile (another writer) is left to
            # the next run rather than overwritten with a stale answer.
            cur.execute(f"""UPDATE addresses_address a
                SET grid_id = nullif(c.new_grid, 0), edge_distance_m = nullif(c.edge_m, 'NaN'),
                    district_code = lpad(c.new_district::text, 6, '0'),
                    near_boundary = coalesce(nullif(c.edge_m, 'NaN') <= %(near)s, false),
                    assigned_at = clock_timestamp()
                FROM {changes} c
                WHERE a.id = c.id AND a.grid_id IS NOT DISTINCT FROM nullif(c.old_grid, 0)""",
                        {"near": settings.GEOGRID_NEAR_BOUNDARY_M})
            report.updated = cur.rowcount
            cur.execute("SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on")
        steps["write"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        sa = np.concatenate([p["special_address"] for p in parts]) if parts else np.array([], dtype=np.int64)
        sg = np.concatenate([p["special_grid"] for p in parts]) if parts else sa
        if len(sa):
            _copy_binary(cur.cursor, special, "address_id, grid_id", _PAIR, {"a": sa, "g": sg})
        # The special-grid links: the last two statements of assign_apply.sql (only changes written).
        statements = sql("assign_apply").format(lost="-", changes="-", work_special=special,
                                                point_filter=point).split(";\n\n")
        for statement in statements[2:]:
            cur.execute(statement, params)
        steps["special"] = round(time.perf_counter() - t, 3)
        differ = old != new
        pairs, counts = (np.unique(np.column_stack([old[differ], new[differ]]), axis=0, return_counts=True)
                         if differ.any() else (np.empty((0, 2), dtype=np.int64), []))
        moved = Counter({(int(a), int(b)): int(n) for (a, b), n in zip(pairs, counts)})
        grid_ids = sorted({g for pair in moved for g in pair if g})
        cur.execute("SELECT id, code FROM grids_grid WHERE id = ANY(%s)", [grid_ids])
        codes = dict(cur.fetchall())
        report.moves = [{"from": codes.get(a), "to": codes.get(b), "count": n}
                        for (a, b), n in sorted(moved.items(), key=lambda kv: (-kv[1], codes.get(kv[0][0]) or "",
                                                                                codes.get(kv[0][1]) or ""))]
        report.changed = report.moved
        cur.execute(f"SELECT a.id, a.full_text FROM addresses_address a WHERE a.grid_id IS NULL AND {point} "
                    f"ORDER BY a.id LIMIT %(gap_limit)s", {**params, "gap_limit": gap_limit})
        report.gaps = [{"id": i, "full_text": t} for i, t in cur.fetchall()]
