"""Balanced auto-partition against GerryChain on the same blocks.

    python -m bench.partition [--seeds 3]

For every residential area (level 3) of the demo street (loaded into its own bench database
on first use), the area is cut into blocks once (`layers/plans/treepart.py:blocks_of`: the
Voronoi cells of its address points), and the same block graph is partitioned into the same
number of children by geogrid's tree bisection and by GerryChain's `recursive_tree_part`
(epsilon set so that target x (1 +- epsilon) is the household band). Prints one JSON line per
method and area and a summary per method: share of children in the band, worst deviation from
the target, mean Polsby-Popper compactness, seconds (the reference is GerryChain's, same run).
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from .db import point_settings_at_bench_db

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "geogrid_partition_bench"


def _metrics(shapes, hh, groups, lo, hi, target):
    import shapely

    from layers.plans.autopartition import polsby_popper

    sizes = [float(sum(hh[i] for i in g)) for g in groups]
    regions = [shapely.union_all([shapes[i] for i in g]) for g in groups]
    return {"children": len(groups), "in_band": sum(1 for s in sizes if lo <= s <= hi),
            "worst_deviation": round(max(abs(s - target) / target for s in sizes), 3),
            "compactness": round(sum(polsby_popper(r) for r in regions) / len(regions), 3),
            "contiguous": sum(1 for r in regions if len(shapely.get_parts(r)) == 1)}


def run(seeds: int = 3) -> None:
    import networkx as nx
    import numpy as np
    from django.conf import settings
    from django.db import connection
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part

    from layers.addresses import demo as addresses_demo
    from layers.grids import demo as grids_demo
    from layers.grids.geometry import shp
    from layers.grids.models import Grid, GridKind
    from layers.plans.autopartition import _k_for
    from layers.plans.treepart import TreePartition, adjacency, blocks_of

    from .run import emit

    grids_demo.load()
    addresses_demo.load()
    lo, hi = settings.GEOGRID_HOUSEHOLD_BAND[4]
    totals = {"geogrid": [], "gerrychain": []}
    for area in Grid.objects.filter(valid_to__isnull=True, level=3, kind=GridKind.BASE).order_by("code"):
        with connection.cursor() as cur:
            cur.execute("SELECT ST_X(a.geometry), ST_Y(a.geometry), a.households FROM addresses_address a "
                        "WHERE ST_Covers(%s::geometry, a.geometry)", [area.geometry.ewkt])
            points = [(x, y, int(h or 0)) for x, y, h in cur.fetchall()]
        region = shp(area.geometry)
        shapes, hh, _pts, _faces = blocks_of(region, points)
        a, b, length = adjacency(shapes, region.centroid.y)
        total = float(hh.sum())
        target = (lo + hi) / 2
        k = _k_for(int(total), target, lo, hi)
        if k is None or k < 2:  # nothing to balance (an area of offices below the band)
            print(json.dumps({"name": "partition.skip", "area": area.code, "households": total}), flush=True)
            continue
        mean = total / k
        centres = np.asarray([(s.centroid.x, s.centroid.y) for s in shapes])
        graph = nx.Graph()
        for i, h in enumerate(hh):
            graph.add_node(i, households=float(h))
        graph.add_edges_from(zip(a.tolist(), b.tolist()))
        graph = Graph.from_networkx(graph)
        epsilon = min(mean - lo, hi - mean) / mean
        for seed in range(seeds):
            t = time.perf_counter()
            groups = TreePartition(hh, a, b, length, centres=centres, seed=seed).run(k, lo, hi)
            ours_s = time.perf_counter() - t
            ours = _metrics(shapes, hh, groups, lo, hi, target)
            import random
            random.seed(seed)
            t = time.perf_counter()
            try:
                assignment = recursive_tree_part(graph, range(k), mean, "households", epsilon)
                ref_s = time.perf_counter() - t
                by_part: dict = {}
                for node, part in assignment.items():
                    by_part.setdefault(part, []).append(node)
                ref = _metrics(shapes, hh, list(by_part.values()), lo, hi, target)
            except RuntimeError as exc:  # GerryChain gives up after its attempts: counted as none in band
                ref_s = time.perf_counter() - t
                ref = {"children": k, "in_band": 0, "worst_deviation": None, "compactness": None,
                       "contiguous": None, "error": type(exc).__name__}
            totals["geogrid"].append((ours, ours_s))
            totals["gerrychain"].append((ref, ref_s))
            print(json.dumps({"name": "partition.area", "area": area.code, "blocks": len(shapes),
                              "households": total, "k": k, "seed": seed,
                              "geogrid": {**ours, "seconds": round(ours_s, 3)},
                              "gerrychain": {**ref, "seconds": round(ref_s, 3)}}, ensure_ascii=False), flush=True)
    summary = {}
    for method, rows in totals.items():
        children = sum(r["children"] for r, _s in rows)
        devs = [r["worst_deviation"] for r, _s in rows if r["worst_deviation"] is not None]
        comp = [r["compactness"] for r, _s in rows if r["compactness"] is not None]
        summary[method] = {"share_in_band": round(sum(r["in_band"] for r, _s in rows) / children, 3),
                           "worst_deviation": max(devs) if devs else None,
                           "compactness": round(sum(comp) / len(comp), 3) if comp else None,
                           "seconds": sum(s for _r, s in rows), "runs": len(rows)}
    ref_s = summary["gerrychain"]["seconds"]
    emit("partition.seconds", summary["geogrid"]["seconds"], "s", reference=ref_s)
    emit("partition.share_in_band", summary["geogrid"]["share_in_band"], "share",
         reference=summary["gerrychain"]["share_in_band"])
    emit("partition.compactness", summary["geogrid"]["compactness"] or math.nan, "polsby-popper",
         reference=summary["gerrychain"]["compactness"])
    print(json.dumps({"name": "partition.summary", **summary}, ensure_ascii=False), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per area and method")
    args = parser.parse_args(argv)
    os.environ.setdefault("GEOGRID_BENCH_DB", DB_NAME)
    name = point_settings_at_bench_db()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geogrid.settings.local")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from .db import ensure_database

    ensure_database(name)
    call_command("migrate", verbosity=0, interactive=False)
    run(seeds=args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
