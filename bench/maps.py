"""Benchmark: the leaders' coverage map page for a district of 10,000 micro-grids.

    .venv/bin/python -m bench.run --suite maps [--size small|medium|full] [--grids N] [--repeat 3]

Builds synthetic irregular micro-grids (~30 vertices each, shared edges, 100 per residential
area) with one address each in a separate database `geogrid_bench_maps` (created and
migrated on first use, reused after), then times GET /maps/coverage/ as a superuser: the grid
GeoJSON built in SQL with geometry simplified, the coverage figures, the folium build and the
page render. Reference: the same page with the grid frame from Django's GeoJSON serializer
(full geometry, serialised in Python). Prints JSON lines {"name","value","unit","reference","ratio"}
through bench.run.emit. Not part of the test suite.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

# Its own database: the synthetic district must not mix with the locate benchmark's city.
DB_NAME = "geogrid_bench_maps"
# Micro-grids per --size of bench.run; `full` is the district of 10,000 the figures were taken on.
SIZES = {"small": 500, "medium": 2_000, "full": 10_000}


def _edge_points(a, b, key, k=7, amp=0.12, rng_seed=11):
    """k points strictly inside segment a-b, jittered perpendicular by a hash of the edge, so
    both cells sharing the edge get the same vertices."""
    import numpy as np

    rng = np.random.default_rng(abs(hash((rng_seed,) + key)) % (2 ** 32))
    t = np.linspace(0, 1, k + 2)[1:-1]
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    nx, ny = -dy, dx
    off = rng.uniform(-amp, amp, k) * np.sin(np.pi * t)
    return [(ax + dx * ti + nx * o, ay + dy * ti + ny * o) for ti, o in zip(t, off)]


def _cells(n_side: int, x0: float, y0: float, size: float):
    """Polygons of an n_side x n_side jittered lattice (edges shared exactly)."""
    import numpy as np
    from shapely.geometry import Polygon

    rng = np.random.default_rng(5)
    jitter = rng.uniform(-0.25, 0.25, (n_side + 1, n_side + 1, 2))
    jitter[0, :, :] = jitter[-1, :, :] = 0
    jitter[:, 0, :] = jitter[:, -1, :] = 0

    def node(i, j):
        return (x0 + (j + jitter[i, j, 0]) * size, y0 + (i + jitter[i, j, 1]) * size)

    def edge(p, q):
        key = (p, q) if p < q else (q, p)
        pts = _edge_points(node(*key[0]), node(*key[1]), tuple(key[0]) + tuple(key[1]), amp=0.08)
        return pts if key[0] == p else pts[::-1]

    polys = []
    for i in range(n_side):
        for j in range(n_side):
            corners = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)]
            ring = []
            for c in range(4):
                p, q = corners[c], corners[(c + 1) % 4]
                ring.append(node(*p))
                ring.extend(edge(p, q))
            polys.append(Polygon(ring))
    return polys


def ensure_grids(n: int) -> None:
    """Create the synthetic district once (street -> areas of 100 micro-grids)."""
    import datetime as dt
    import math

    import numpy as np
    from django.conf import settings
    from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
    from django.db import connection, transaction
    from shapely import union_all

    from layers.addresses.models import Address
    from layers.grids.models import Grid

    if Grid.objects.filter(level=4, valid_to__isnull=True).count() >= n:
        return
    srid = settings.GEOGRID_SRID
    side = int(math.ceil(math.sqrt(n)))
    size = 0.0016  # ~150 m cells around Shanghai
    x0, y0 = 121.30, 31.10
    cells = _cells(side, x0, y0, size)[:n]
    today = dt.date(2025, 1, 1)

    def mp(shape):
        g = GEOSGeometry(memoryview(shape.wkb), srid=srid)
        return g if g.geom_type == "MultiPolygon" else MultiPolygon(g, srid=srid)

    with transaction.atomic():
        street = Grid.objects.create(level=2, name="基准街道", code="990000000000", geometry=mp(union_all(cells)),
                                     valid_from=today)
        street.path = f"/{street.pk}/"
        street.save(update_fields=["path"])
        block = 10  # areas are 10 x 10 blocks of cells
        areas = {}
        for idx, cell in enumerate(cells):
            i, j = divmod(idx, side)
            areas.setdefault((i // block, j // block), []).append(cell)
        area_objs = Grid.objects.bulk_create([
            Grid(parent=street, level=3, name=f"基准小区{a}", code=f"99000001{a:04d}", path="",
                 geometry=mp(union_all(cs)), valid_from=today)
            for a, (key, cs) in enumerate(sorted(areas.items()))])
        by_key = dict(zip(sorted(areas), area_objs))
        for a in area_objs:
            a.path = f"{street.path}{a.pk}/"
        Grid.objects.bulk_update(area_objs, ["path"])
        micro = []
        for idx, cell in enumerate(cells):
            i, j = divmod(idx, side)
            parent = by_key[(i // block, j // block)]
            micro.append(Grid(parent=parent, level=4, name=f"基准微网格{idx + 1}", code=f"{parent.code}{idx:05d}",
                              path="", geometry=mp(cell), valid_from=today))
        micro = Grid.objects.bulk_create(micro, batch_size=2000)
        for g, parent_path in zip(micro, (m.parent.path for m in micro)):
            g.path = f"{parent_path}{g.pk}/"
        Grid.objects.bulk_update(micro, ["path"], batch_size=2000)
        rng = np.random.default_rng(3)
        Address.objects.bulk_create([
            Address(full_text=f"基准路{k}号", households=int(rng.integers(80, 700)), grid=g,
                    geometry=GEOSGeometry(memoryview(cell.representative_point().wkb), srid=srid))
            for k, (g, cell) in enumerate(zip(micro, cells))], batch_size=2000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE grids_grid; ANALYZE addresses_address")


def _serializer_grid_frame(qs=None, *, ids=None, tolerance: float = 0.0):
    """Reference: the grid frame from Django's GeoJSON serializer (geometry unsimplified)."""
    import geopandas as gpd
    from django.conf import settings
    from django.core import serializers

    from layers.grids.models import Grid

    if qs is None:
        qs = Grid.objects.filter(pk__in=ids)

    text = serializers.serialize("geojson", qs, geometry_field="geometry",
                                 fields=["code", "name", "level", "kind", "use", "parent", "version", "geometry"])
    feats = json.loads(text)["features"]
    for f in feats:
        f["properties"]["id"] = f.get("id") or f["properties"].get("pk")
    return gpd.GeoDataFrame.from_features(feats, crs=f"EPSG:{settings.GEOGRID_SRID}")


def time_page(url: str, repeat: int) -> tuple[float, int]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-maps", defaults={"is_superuser": True,
                                                                                     "is_staff": True})
    client = Client()
    client.force_login(user)
    r = client.get(url)  # warm: imports, weights, connection
    assert r.status_code == 200, r.status_code
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200
    return statistics.median(times), len(r.content)


def run(*, grids: int, repeat: int = 3) -> None:
    """Build (once) the district of `grids` micro-grids and print the figures. Django is set up
    on the maps bench database by bench.run."""
    from django.contrib.auth import get_user_model
    from django.test.utils import override_settings

    import maps.views
    from layers.grids import frames
    from layers.grids.models import Grid
    from layers.grids.selectors import grids_geojson
    from layers.subjects import selectors as subjects_selectors

    from .run import emit

    t = time.perf_counter()
    ensure_grids(grids)
    setup_s = time.perf_counter() - t
    url = "/maps/coverage/?metric=households&level=4"
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        fast, size = time_page(url, repeat)
        # The reference page: every grid frame of the page (coverage layers and outline) read
        # through Django's serializer instead of the WKB reader.
        originals = subjects_selectors.grid_frame, maps.views.grid_frame
        subjects_selectors.grid_frame = maps.views.grid_frame = _serializer_grid_frame
        try:
            ref, ref_size = time_page(url, max(1, repeat - 1))
        finally:
            subjects_selectors.grid_frame, maps.views.grid_frame = originals
    qs = Grid.objects.filter(level=4, valid_to__isnull=True)
    user = get_user_model().objects.get(username="bench-maps")
    t = time.perf_counter()
    for level in (3, 4):
        subjects_selectors.coverage_list(user=user, level=level)
    figures_s = time.perf_counter() - t
    t = time.perf_counter()
    grids_geojson(qs, tolerance=frames.DEFAULT_TOLERANCE)
    sql_s = time.perf_counter() - t
    ids = list(qs.values_list("pk", flat=True))
    t = time.perf_counter()
    frames.grid_frame(ids=ids, tolerance=frames.tolerance_for(len(ids)))
    wkb_s = time.perf_counter() - t
    t = time.perf_counter()
    _serializer_grid_frame(qs)
    ser_s = time.perf_counter() - t
    n = qs.count()
    emit(f"maps_coverage_page_{n}_grids", fast, "s", ref, bytes=size, reference_bytes=ref_size)
    # The page without the coverage figures (layers.subjects coverage_list), i.e. the maps part.
    emit(f"maps_coverage_page_without_figures_{n}_grids", fast - figures_s, "s", ref - figures_s)
    emit(f"coverage_figures_{n}_grids", figures_s, "s")
    emit(f"maps_grid_frame_wkb_{n}_grids", wkb_s, "s", ser_s)
    emit(f"grids_geojson_sql_{n}_grids", sql_s, "s", ser_s)
    print(json.dumps({"name": "maps_bench_setup", "value": round(setup_s, 2), "unit": "s", "reference": None,
                      "ratio": None}), file=sys.stderr)
