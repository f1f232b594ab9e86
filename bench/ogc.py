"""OGC API and vector tiles on the synthetic city (suite `ogc`): an items page of 1,000 grids, a
z14 tile and a whole-city tile, each over HTTP (gunicorn, a personal token, one kept-alive
connection as map clients hold) against the raw SQL (json_agg of ST_AsGeoJSON; ST_AsMVT of the
same tile with its coverage figures, and without them) timed in the same run on the same data.
Medians of --repeat."""
import http.client
import math
import os
import signal
import statistics
import subprocess
import time

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _tile_of(lon, lat, z):
    n = 2 ** z
    r = math.radians(lat)
    return z, int((lon + 180) / 360 * n), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)


def _city_tile(x0, y0, x1, y1):
    """The deepest tile holding the whole city."""
    for z in range(14, -1, -1):
        a, b = _tile_of(x0, y1, z), _tile_of(x1, y0, z)
        if a == b:
            return a
    return 0, 0, 0


RAW_PAGE = """SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(json_build_object(
  'type', 'Feature', 'id', g.id, 'geometry', ST_AsGeoJSON(g.geometry, 7)::json,
  'properties', json_build_object('code', g.code, 'name', g.name, 'level', g.level))))::text
FROM (SELECT * FROM grids_grid WHERE valid_to IS NULL AND kind = 'base' ORDER BY id LIMIT 1000) g"""
RAW_TILE = """SELECT ST_AsMVT(m, 'grids', 4096, 'geom', 'id') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(g.geometry, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom,
         g.id, g.code, g.name, g.level
  FROM grids_grid g
  WHERE g.valid_to IS NULL AND g.kind = 'base' AND g.level = 4
    AND g.geometry && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4490)
  OFFSET 0  -- keeps the filter below from being pushed down (ST_AsMVTGeom once per row)
) m WHERE m.geom IS NOT NULL"""


def _figures_tile_sql():
    """The tile statement of the grids layer itself (layers/ogc/sql/grid_tile.sql) for an
    administrator: the same figures, run here without HTTP, Django or auth."""
    from layers.core.sqlfiles import load_sql
    from layers.ogc.tiles import SUBJECTS_EXACT

    return load_sql("ogc", "grid_tile").replace("/*subjects*/", SUBJECTS_EXACT)


def _figures_params(z, x, y):
    from django.conf import settings
    from django.utils import timezone

    from layers.ogc.tiles import BUFFER, EXTENT
    from layers.staff.models import FIELD_ROLES

    return {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "srid": settings.GEOGRID_SRID, "layer": "grids",
            "figures": True, "everything": True, "patterns": [], "kinds": ["base"], "level": 4, "only_mine": False,
            "roles": [str(r) for r in FIELD_ROLES], "now": timezone.now()}


def run(*, emit, wait_ready, free_port, repeat: int = 20) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from layers.staff.services import token_create

    user, _ = get_user_model().objects.get_or_create(username="bench-ogc", defaults={"is_superuser": True})
    _, token = token_create(user=user, name="bench")
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geometry) e "
                    "FROM grids_grid WHERE level = 4) s")
        x0, y0, x1, y1 = cur.fetchone()
        cur.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geometry) c FROM grids_grid "
                    "WHERE level = 4 ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM grids_grid WHERE level = 4)) s")
        cx, cy = cur.fetchone()
    z14 = _tile_of(cx, cy, 14)
    city = _city_tile(x0, y0, x1, y1)

    def raw(sql, params=None):
        def go():
            with connection.cursor() as cur:
                cur.execute(sql, params)
                cur.fetchone()
        return go

    port = int(os.environ.get("BENCH_PORT") or free_port())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geogrid.settings.production",
           "GEOGRID_FIELD_KEY": settings.GEOGRID_FIELD_KEY or "ZGVtby1rZXktZ2VvZ3JpZC1kZW1vLWtleS0zMmJ5dGU=",
           "SECURE_COOKIES": "0", "GUNICORN_WORKERS": "2"}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "geogrid" / "gunicorn.conf.py"),
                               "geogrid.wsgi", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                              cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    # One kept-alive connection, as map clients (MapLibre, QGIS, GDAL) hold theirs.
    client = {"conn": None}

    def over_http(path, expect_bytes=True):
        def once():
            if client["conn"] is None:
                client["conn"] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                client["conn"].request("GET", path, headers={"Authorization": f"Bearer {token}"})
                r = client["conn"].getresponse()
                return r, r.read()
            except (http.client.HTTPException, OSError):
                client["conn"].close()
                client["conn"] = None
                raise

        def go():
            try:
                r, body = once()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                r, body = once()  # the server closed an idle kept-alive connection (keepalive = 5 s)
            assert r.status == 200 and (body or not expect_bytes), r.status
        return go

    try:
        wait_ready(f"{base}/healthz", server)
        cases = [
            ("ogc_items_1000_grids", "/ogc/collections/grids/items?limit=1000", RAW_PAGE, None, 100.0),
            ("tile_z14_grids", "/tiles/grids/{}/{}/{}.mvt?level=4".format(*z14), RAW_TILE,
             dict(zip("zxy", z14)), 10.0),
            ("tile_city_grids", "/tiles/grids/{}/{}/{}.mvt?level=4".format(*city), RAW_TILE,
             dict(zip("zxy", city)), None),
        ]
        for name, path, sql, params, target in cases:
            extra = {}
            if params is None:
                ref = _median_ms(raw(sql, params), repeat)
                what = "json_agg of code, name, level"
            else:
                # A grid tile carries the coverage figures (code, name, level and the figures): the
                # like-for-like reference is that tile built by the layer's own statement, run here
                # without HTTP, Django or auth; the tile of code, name and level alone is printed too.
                ref = _median_ms(raw(_figures_tile_sql(), _figures_params(**params)), repeat)
                extra["reference_without_figures_ms"] = round(_median_ms(raw(sql, params), repeat), 3)
                what = ("ST_AsMVT of the same tile with its coverage figures; reference_without_figures_ms: "
                        "ST_AsMVT of code, name and level only")
            value = _median_ms(over_http(path), repeat)
            if params is not None:
                extra["ratio_without_figures"] = round(value / extra["reference_without_figures_ms"], 3)
            emit(name, value, "ms", ref, target_ms=target, repeat=repeat, path=path, **extra,
                 note="median over HTTP (gunicorn 2 workers, Bearer token, one kept-alive client) against the raw "
                      f"SQL in one connection of this process (reference: {what})")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
