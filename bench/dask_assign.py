"""The bulk assignment on Dask (layers/addresses/dask_engine.py) against two references measured
in the same run on the same points and grids:

- "reference": the in-memory single-process geopandas.sjoin (the join alone, data already in
  memory, no database);
- "analyst_reference": what a GIS analyst would do instead: read_postgis of the points and the
  micro-grids, sjoin, the lowest code per point, and the changed grids copied back (COPY into a
  temporary table, one UPDATE).

The Dask figure is timed from the database and back (grids read and broadcast, points read by
the workers, join, changed rows written), on a LocalCluster of 1 and of 2 single-threaded worker
processes (started, and warmed with one import task, before the clock runs). The registry is
first settled by the Dask engine itself (`--full`, every row written: its own line). Before each
timed run the same 5% of the registry is put into a wrong grid (untimed), so every run finds and
writes the same diff. Answers are checked against the sjoin on every point.
"""
import io
import time

import numpy as np

SCRAMBLE = 0.05


def _expected(city, joined) -> dict:
    first = joined.dropna(subset=["code"]).sort_values("code").groupby(level=0)["code"].first()
    return dict(zip((first.index.to_numpy() + 1).tolist(), first.tolist()))


def _mismatches(expected: dict) -> int:
    from .db import assigned_grid_codes

    got = assigned_grid_codes()
    return sum(1 for i in set(expected) | set(got) if expected.get(i) != got.get(i))


def analyst_workflow() -> dict:
    """read_postgis + sjoin + copy back of the changed grids; seconds per step."""
    import warnings

    import geopandas as gpd
    import psycopg2

    from layers.core.cluster import database_dsn

    steps = {}
    conn = psycopg2.connect(**database_dsn())
    try:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas prefers SQLAlchemy; a DBAPI connection works
            pts = gpd.read_postgis("SELECT id, grid_id, geometry FROM addresses_address", conn, geom_col="geometry")
            grids = gpd.read_postgis("SELECT g.id AS gid, g.code, g.geometry FROM grids_grid g "
                                     "WHERE g.id IN (SELECT id FROM grids_micro)", conn, geom_col="geometry")
        t1 = time.perf_counter()
        joined = gpd.sjoin(pts, grids, how="left", predicate="intersects")
        best = joined.sort_values("code").groupby(level=0).first()
        new = best["gid"].reindex(pts.index)
        old = pts["grid_id"]
        changed = ~((new == old) | (new.isna() & old.isna()))
        rows = pts.loc[changed, ["id"]].assign(grid=new[changed])
        t2 = time.perf_counter()
        buf = io.StringIO()
        rows.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N", float_format="%.0f")
        buf.seek(0)
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE analyst_changes (id bigint, grid bigint)")
            cur.copy_expert("COPY analyst_changes FROM STDIN", buf)
            cur.execute("UPDATE addresses_address a SET grid_id = c.grid FROM analyst_changes c WHERE a.id = c.id")
            written = cur.rowcount
        conn.commit()
        t3 = time.perf_counter()
    finally:
        conn.close()
    steps.update(read=round(t1 - t0, 3), join=round(t2 - t1, 3), write=round(t3 - t2, 3))
    return {"seconds": t3 - t0, "steps": steps, "written": written}


def _gi_star(city, client) -> dict:
    """Gi* of counts per grid over the city's grids: esda in one process (weights + G_Local)
    against maps/hotspots_dask.py on the cluster; both from the polygons, no cache."""
    import geopandas as gpd

    from maps import hotspots
    from maps.hotspots_dask import gi_star_dask

    rng = np.random.default_rng(5)
    counts = rng.poisson(3, len(city.grids)).astype(float)
    frame = gpd.GeoDataFrame({"id": range(len(city.grids))}, geometry=city.grids)
    t = time.perf_counter()
    z_ref, _p = hotspots.gi_star(counts, hotspots.queen_weights(frame))
    ref = time.perf_counter() - t
    t = time.perf_counter()
    z, _p = gi_star_dask(city.grids, counts, client=client)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "reference": ref, "max_abs_dz": float(np.nanmax(np.abs(z - z_ref)))}


def _warm(client) -> None:
    """Import the task module (numpy, shapely, psycopg2) on every worker before timing."""
    client.run(lambda: __import__("layers.addresses.dask_tasks"))


def run(city, *, emit, size: str = "") -> None:
    import geopandas as gpd
    import shapely

    from layers.addresses.dask_engine import addresses_assign_dask
    from layers.core.cluster import dask_client

    from .db import scramble_assignment

    n = len(city.points)
    pts = gpd.GeoDataFrame(geometry=shapely.points(city.points), crs="EPSG:4490")
    grids = gpd.GeoDataFrame({"code": city.codes}, geometry=city.grids, crs="EPSG:4490")
    t = time.perf_counter()
    joined = gpd.sjoin(pts, grids, how="left", predicate="intersects")
    ref = n / (time.perf_counter() - t)
    expected = _expected(city, joined)

    figures = {}
    with dask_client(scheduler="", workers=2, processes=True) as client:
        _warm(client)
        # A settled registry first (every grid and edge distance written), as the other figures
        # start from; itself a figure: the whole registry written.
        scratch = addresses_assign_dask(client=client, force=True)
        emit("assign_bulk_dask_from_scratch", n / scratch.seconds, "points/s", ref, size=size, workers=2,
             seconds=scratch.seconds, rows_written=scratch.updated, steps=scratch.steps,
             note="--engine dask --full on 2 workers: every edge distance measured, every row written back")
        scramble_assignment(SCRAMBLE)
        analyst = analyst_workflow()
        analyst_rate = n / analyst["seconds"]
        analyst_mismatches = _mismatches(expected)
        addresses_assign_dask(client=client)   # the analyst wrote grids only: settle again (untimed)
        emit("assign_bulk_analyst", analyst_rate, "points/s", ref, size=size, seconds=round(analyst["seconds"], 3),
             steps=analyst["steps"], rows_written=analyst["written"], mismatches=analyst_mismatches,
             note="read_postgis + geopandas.sjoin + COPY of the changed grids back; reference: in-memory sjoin")
        scramble_assignment(SCRAMBLE)
        report = addresses_assign_dask(client=client)
        figures[2] = {"rate": n / report.seconds, "seconds": report.seconds, "steps": report.steps,
                      "written": report.updated, "changed": report.changed, "mismatches": _mismatches(expected)}
        gi = _gi_star(city, client)
    with dask_client(scheduler="", workers=1, processes=True) as client:
        _warm(client)
        scramble_assignment(SCRAMBLE)
        report = addresses_assign_dask(client=client)
        figures[1] = {"rate": n / report.seconds, "seconds": report.seconds, "steps": report.steps,
                      "written": report.updated, "changed": report.changed, "mismatches": _mismatches(expected)}
    one, two = figures[1], figures[2]
    emit("assign_bulk_dask_1_worker", one["rate"], "points/s", ref, size=size, workers=1, seconds=one["seconds"],
         analyst_reference=round(analyst_rate, 3), rows_written=one["written"], mismatches=one["mismatches"],
         steps=one["steps"], note="as assign_bulk_dask on a LocalCluster of 1 worker process")
    emit("assign_bulk_dask", two["rate"], "points/s", ref, size=size, workers=2, seconds=two["seconds"],
         analyst_reference=round(analyst_rate, 3), analyst_ratio=round(two["rate"] / analyst_rate, 3),
         one_worker=round(one["rate"], 3), scaling_1_to_2=round(two["rate"] / one["rate"], 3),
         points=n, grids=len(city.grids), changed=two["changed"], rows_written=two["written"],
         mismatches=two["mismatches"], steps=two["steps"],
         note=f"addresses_assign --engine dask on a LocalCluster of 2 worker processes, timed from the database and "
              f"back (read, join, write of the changes; {SCRAMBLE:.0%} of the registry in a wrong grid); reference: "
              "in-memory single-process geopandas.sjoin of the same points and grids (join only); analyst_reference: "
              "read_postgis + sjoin + copy back")
    emit("hotspots_gi_star_dask", len(city.grids) / gi["seconds"], "grids/s", len(city.grids) / gi["reference"],
         size=size, workers=2, seconds=round(gi["seconds"], 3), reference_seconds=round(gi["reference"], 3),
         max_abs_dz=gi["max_abs_dz"],
         note="Gi* (queen, binary, star) of counts per grid, neighbours found on 2 Dask workers "
              "(maps/hotspots_dask.py); reference: esda G_Local with libpysal Queen weights in one process")
    emit("assign_bulk_dask_mismatches", two["mismatches"] + one["mismatches"], "points", 0, size=size, checked=2 * n,
         note="points whose grid after the Dask runs differs from the independent sjoin (lowest-code edge rule)")
