"""Growth curves (suite `growth`): every headline figure measured on the synthetic province
(bench/province.py) at several sizes in one run, each size in its own process and database.

    python -m bench.run --suite growth [--sizes s,m,l] [--seconds 3]

Each figure line carries "size", the counts it was taken on, "seconds_per_op" (one request, one
page, one whole run) and, from the second size on, "growth_exponent": d log(seconds_per_op) /
d log(addresses) against the size before. "work_exponent" is how the work itself grows (0: a
page, a tile, a lookup, one grid's queue, one street's list, one boundary change; 1: a whole
registry or level); "faster_than_work" flags an exponent above it by more than 0.25 (noise on a
shared machine is about that much between sizes of ratio 3).
"""
from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLACK = 0.25


def _median_s(fn, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_one(size: str, *, seconds: int, repeat: int) -> None:
    """In a process whose Django is set up on the province database of `size`."""
    import numpy as np
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from layers.addresses.services import addresses_assign_all, addresses_reassign_for_grids
    from layers.overview.selectors import overview_list
    from layers.subjects.selectors import coverage_list

    from . import province as P
    from .db import scramble_assignment
    from .run import bench_http, emit

    t = time.perf_counter()
    prov = P.build(size)
    built = time.perf_counter() - t
    t = time.perf_counter()
    counts = P.load(prov, settings.GEOGRID_SRID)
    loaded = time.perf_counter() - t
    n_addr, n_grids = len(prov.points), prov.n_micro
    common = {"size": size, "addresses": n_addr, "micro_grids": n_grids}
    print(json.dumps({"name": "province_setup", **common, "build_seconds": round(built, 1),
                      "load_seconds": round(loaded, 1), "rows": counts}, ensure_ascii=False), flush=True)

    def figure(name, seconds_per_op, work_exponent, **extra):
        emit(name, seconds_per_op * 1000, "ms", None, seconds_per_op=seconds_per_op, work_exponent=work_exponent,
             **common, **extra)

    # Bulk assignment of the whole registry: from scratch once per loaded database (an empty
    # registry, every row written), then with 5 % of the addresses in a wrong grid.
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM addresses_address WHERE grid_id IS NOT NULL")
        fresh = cur.fetchone()[0] == 0
    if fresh:
        r = addresses_assign_all()
        figure("assign_bulk_from_scratch", r.seconds, 1, points_per_s=round(n_addr / r.seconds),
               assigned=r.assigned, gaps=r.gap_count, steps=r.steps)
    scramble_assignment(0.05)
    r = addresses_assign_all()
    figure("assign_bulk", r.seconds, 1, points_per_s=round(n_addr / r.seconds), changed=r.changed,
           assigned=r.assigned, gaps=r.gap_count)
    r = addresses_assign_all()
    figure("assign_bulk_rerun", r.seconds, 1, changed=r.changed)
    # A boundary change: the re-assignment of one micro-grid and its neighbours (what the hook runs).
    with connection.cursor() as cur:
        cur.execute("SELECT g.id FROM grids_micro m JOIN grids_grid g ON g.id = m.id ORDER BY g.code "
                    "OFFSET (SELECT count(*) / 2 FROM grids_micro) LIMIT 1")
        mid = cur.fetchone()[0]
        cur.execute("SELECT n.id FROM grids_grid g JOIN grids_grid n ON n.level = g.level AND n.valid_to IS NULL "
                    "AND ST_Touches(n.geometry, g.geometry) WHERE g.id = %s", [mid])
        near = [mid] + [x for (x,) in cur.fetchall()]
    figure("reassign_boundary_change", _median_s(lambda: addresses_reassign_for_grids(grid_ids=near), repeat), 0,
           grids=len(near))

    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-growth", defaults={"is_superuser": True, "is_staff": True})
    for level in (1, 2, 3, 4):
        figure(f"coverage_level_{level}", _median_s(lambda: coverage_list(user=admin, level=level), max(1, repeat // 2)), 1)
        figure(f"overview_level_{level}", _median_s(lambda: overview_list(user=admin, level=level), max(1, repeat // 2)), 1)

    import maps.views

    figure("gi_star_micro_grids", _median_s(lambda: maps.views._hotspots(admin, days=365, incident_class=None,
                                                                         until=None), max(1, repeat // 2)), 1)

    client = Client()
    client.force_login(admin)

    def get(path, user_client=client):
        def go():
            resp = user_client.get(path)
            assert resp.status_code == 200, (path, resp.status_code, resp.content[:300])
        return go

    with override_settings(ALLOWED_HOSTS=["testserver"]):
        # OGC items: the first page and a page 90 % into the addresses collection (follow "next"
        # links there: the link the server gives is the way a client pages).
        figure("ogc_items_first_page", _median_s(get("/ogc/collections/addresses/items?limit=100"), repeat), 0)
        deep = _deep_link(client, n_addr)
        figure("ogc_items_deep_page", _median_s(get(deep), repeat), 0, path=deep[:120])
        with connection.cursor() as cur:
            cur.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geometry) c FROM grids_grid "
                        "WHERE id = %s) s", [mid])
            cx, cy = cur.fetchone()
        from .ogc import _tile_of

        z, x, y = _tile_of(cx, cy, 14)
        figure("tile_z14_grids", _median_s(get(f"/tiles/grids/{z}/{x}/{y}.mvt?level=4"), repeat), 0)
        figure("tile_z14_incidents", _median_s(get(f"/tiles/incidents/{z}/{x}/{y}.mvt"), repeat), 0)
        # A grid head's work queue (the phone page) and a street leader's incident list (API, first page).
        head = User.objects.get(pk=_one(cur_sql="SELECT user_id FROM staff_assignment WHERE role = 'grid_head' "
                                               "AND grid_id = %s", params=[mid]))
        head_client = Client()
        head_client.force_login(head)
        figure("field_queue_grid_head", _median_s(get("/queue/", head_client), repeat), 0)
        leader = User.objects.get(pk=_one(cur_sql="SELECT a.user_id FROM staff_assignment a JOIN grids_grid g "
                                                 "ON g.id = a.grid_id WHERE a.role = 'street_leader' ORDER BY g.code "
                                                 "OFFSET (SELECT count(*) / 2 FROM staff_assignment "
                                                 "WHERE role = 'street_leader') LIMIT 1"))
        leader_client = Client()
        leader_client.force_login(leader)
        figure("incident_list_street_leader", _median_s(get("/api/incidents/?limit=50", leader_client), repeat), 0)
    # Over HTTP through gunicorn: the floor, single and batch lookups.
    http_size_lines(prov, seconds=seconds, common=common)
    del np


def _one(*, cur_sql, params=None):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(cur_sql, params or [])
        return cur.fetchone()[0]


def _deep_link(client, n: int) -> str:
    """The path of the addresses page 90 % into the collection, as a client reaches it: the
    server's own next link, jumped to by its paging parameter."""
    resp = client.get("/ogc/collections/addresses/items?limit=100")
    body = json.loads(resp.content)
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    from urllib.parse import parse_qs, urlencode, urlparse

    u = urlparse(nxt)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    if "offset" in q:
        q["offset"] = str(int(n * 0.9))
    elif "cursor" in q:
        # The cursor is opaque and signed: made by the server's own encoder for the id 90 % in.
        from layers.ogc.views import cursor_encode

        q["cursor"] = cursor_encode("addresses", "a", _one(
            cur_sql="SELECT id FROM addresses_address ORDER BY id OFFSET %s LIMIT 1", params=[int(n * 0.9)]))
    return u.path + "?" + urlencode(q)


def http_size_lines(prov, *, seconds: int, common: dict) -> None:
    """The HTTP figures of bench.run at this size, re-emitted with the size and seconds per op."""
    import contextlib
    import io

    from . import run as R

    class City:  # what bench_http reads
        points = prov.points

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        R.bench_http(City, seconds=seconds)
    for line in buf.getvalue().splitlines():
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        if d["name"] in ("http_framework_floor", "locate_http_single") and d["value"]:
            d.update(seconds_per_op=1 / d["value"], work_exponent=0)
        elif d["name"] == "locate_http_batch" and d["value"]:  # 0: no 10,000-point request finished in time
            d.update(seconds_per_op=10_000 / d["value"], work_exponent=0)
        d.update(common)
        print(json.dumps(d, ensure_ascii=False), flush=True)


def run_all(sizes: list[str], *, seconds: int, repeat: int) -> None:
    """Each size in its own process (its own database); the exponents between consecutive sizes."""
    from .province import SIZES, db_name

    previous: dict[str, dict] = {}
    for size in sizes:
        env = {**os.environ, "GEOGRID_BENCH_DB": db_name(size)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        proc = subprocess.Popen([sys.executable, "-m", "bench.run", "--suite", "growth-one", "--size-one", size,
                                 "--seconds", str(seconds), "--repeat", str(repeat)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, text=True)
        current = {}
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            d = json.loads(line)
            prev = previous.get(d["name"])
            if prev and d.get("seconds_per_op") and prev.get("seconds_per_op"):
                e = math.log(d["seconds_per_op"] / prev["seconds_per_op"]) / math.log(d["addresses"] / prev["addresses"])
                d["growth_exponent"] = round(e, 2)
                d["from_size"] = prev["size"]
                if "work_exponent" in d:
                    d["faster_than_work"] = e > d["work_exponent"] + SLACK
            print(json.dumps(d, ensure_ascii=False), flush=True)
            current[d["name"]] = d
        if proc.wait() != 0:
            raise RuntimeError(f"growth at size {size} failed ({proc.returncode})")
        previous = current
    del SIZES
