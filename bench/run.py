"""Benchmarks of geogrid, one harness: the spatial assignment and the locate API on a synthetic
city (suite `locate`, the default), and the leaders' coverage map page on a synthetic district
(suite `maps`, bench/maps.py).

    python -m bench.run [--size small|medium|full] [--skip-http]
    python -m bench.run --suite maps [--size ...] [--grids N] [--repeat 3]
    python -m bench.run --suite dask [--size ...]   (bulk assignment on Dask, bench/dask_assign.py)
    python -m bench.run --suite http [--seconds 10]  (the HTTP figures alone: floor, single, batch)

Prints one JSON line per figure: {"name", "value", "unit", "reference", "ratio", ...}, the
reference being measured in the same run on the same data (geopandas.sjoin for the bulk
assignment, raw PostGIS queries for the lookups). Runs in its own database (<name>_bench).
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .db import point_settings_at_bench_db

ROOT = Path(__file__).resolve().parent.parent


def emit(name, value, unit, reference=None, **extra):
    ratio = round(value / reference, 3) if reference else None
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit,
                      "reference": round(reference, 3) if reference is not None else None,
                      "ratio": ratio, **extra}, ensure_ascii=False), flush=True)


def _mismatches(city, joined) -> int:
    from .db import assigned_grid_codes

    got = assigned_grid_codes()
    return sum(1 for i in set(joined) | set(got) if joined.get(i) != got.get(i))


def bench_assign(city, *, stale_fraction: float = 0.05) -> None:
    import geopandas as gpd
    import shapely

    from layers.addresses.services import addresses_assign_all

    from .db import reset_assignment, scramble_assignment

    n = len(city.points)
    # The independent reference: geopandas.sjoin on the same points and grids, from data in
    # memory to the grid of every point.
    pts = gpd.GeoDataFrame(geometry=shapely.points(city.points), crs="EPSG:4490")
    grids = gpd.GeoDataFrame({"code": city.codes}, geometry=city.grids, crs="EPSG:4490")
    t = time.perf_counter()
    joined = gpd.sjoin(pts, grids, how="left", predicate="intersects")
    ref = n / (time.perf_counter() - t)
    # The same edge rule on the reference side: a point on a shared edge goes to the lowest code.
    first = joined.dropna(subset=["code"]).sort_values("code").groupby(level=0)["code"].first()
    expected = dict(zip((first.index.to_numpy() + 1).tolist(), first.tolist()))

    reset_assignment()
    scratch = addresses_assign_all()
    emit("assign_bulk_from_scratch", n / scratch.seconds, "points/s", ref, seconds=scratch.seconds,
         join_seconds=scratch.compute_seconds, rows_written=scratch.updated, assigned=scratch.assigned,
         gaps=scratch.gap_count, mismatches=_mismatches(city, expected),
         note="empty registry: every row written by one UPDATE (write-bound); reference geopandas.sjoin")
    scramble_assignment(stale_fraction)
    run = addresses_assign_all()
    mismatches = _mismatches(city, expected)
    emit("assign_bulk", n / run.seconds, "points/s", ref, seconds=run.seconds, join_seconds=run.compute_seconds,
         points=n, grids=len(city.grids), changed=run.changed, rows_written=run.updated, assigned=run.assigned,
         gaps=run.gap_count, mismatches=mismatches, steps=run.steps,
         note=f"addresses_assign_all() over the whole registry, every point tested, {stale_fraction:.0%} of "
              "addresses in a wrong grid (moved back, diff written); reference geopandas.sjoin in the same run")
    emit("assign_bulk_mismatches", mismatches, "points", 0, checked=n,
         note="points whose grid differs from the independent sjoin (same lowest-code edge rule)")
    full = addresses_assign_all(full=True)
    emit("assign_bulk_full", n / full.seconds, "points/s", ref, seconds=full.seconds, join_seconds=full.compute_seconds,
         rows_written=full.updated, mismatches=_mismatches(city, expected),
         note="--full: every point tested against its own grid and every edge distance measured again")
    again = addresses_assign_all()
    emit("assign_bulk_rerun", n / again.seconds, "points/s", ref, seconds=again.seconds, changed=again.changed,
         rows_written=again.updated, note="nothing changed since the last run")


def _raw_locate_worker(args):
    import psycopg2

    dsn, points, seconds, query = args
    conn = psycopg2.connect(**dsn)
    cur = conn.cursor()
    done, end, i = 0, time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        x, y = points[i % len(points)]
        cur.execute(query, (x, y))
        cur.fetchall()
        done += 1
        i += 1
    conn.close()
    return done


RAW_LOCATE = ("SELECT p.grid_id FROM grids_gridpiece p "
              "WHERE ST_Covers(p.geometry, ST_SetSRID(ST_MakePoint(%s, %s), 4490))")


def bench_raw_locate(city, seconds: float) -> float:
    """Reference: raw PostGIS point lookups per second, one connection per core (2 processes)."""
    from multiprocessing import Pool

    dsn = _dsn()
    sample = [(float(x), float(y)) for x, y in city.points[:: max(1, len(city.points) // 2000)]]
    with Pool(2) as pool:
        counts = pool.map(_raw_locate_worker, [(dsn, sample[k::2], seconds, RAW_LOCATE) for k in range(2)])
    return sum(counts) / seconds


RAW_BATCH = ("SELECT u.ord, p.grid_id FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, ord) "
             "JOIN grids_gridpiece p ON ST_Covers(p.geometry, ST_SetSRID(ST_MakePoint(u.x, u.y), 4490))")


def _raw_batch_worker(args):
    import psycopg2

    dsn, xs, ys, seconds = args
    conn = psycopg2.connect(**dsn)
    cur = conn.cursor()
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        cur.execute(RAW_BATCH, (xs, ys))
        cur.fetchall()
        done += len(xs)
    conn.close()
    return done


def bench_raw_batch(points, seconds: float) -> float:
    """Reference for batches: raw PostGIS point-in-polygon over the same 10,000 points (ids of
    every covering grid piece, no answer built), one connection per core (2 processes)."""
    from multiprocessing import Pool

    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    with Pool(2) as pool:
        counts = pool.map(_raw_batch_worker, [(_dsn(), xs, ys, seconds)] * 2)
    return sum(counts) / seconds


def _dsn() -> dict:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return {"dbname": db["NAME"], "user": db["USER"] or None, "password": db["PASSWORD"] or None,
            "host": db["HOST"] or None, "port": db["PORT"] or None}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_cookie() -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(username="bench")
    user.set_unusable_password()
    user.save()
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key


def _wrk(url, *, cookie, seconds, connections, script) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name,
                          "-H", f"Cookie: sessionid={cookie}", url], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "non2xx": int(non2xx.group(1)) if non2xx else 0}


def wait_ready(url: str, server, timeout: float = 300.0) -> None:
    """Poll /healthz until the server answers 200 (the database is reached and the locate index
    built): measurements start on a warm server, however slow the machine."""
    import urllib.request

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


def http_agreement(url: str, cookie: str, points) -> dict:
    """Answers over HTTP against PostGIS for the same points (counted, not timed): the grid the
    batch locate gives each point must be the lowest-code micro-grid covering it (single level
    in the synthetic city), none in a gap."""
    import urllib.request

    import psycopg2

    body = json.dumps({"crs": "wgs84", "points": points}).encode()
    req = urllib.request.Request(url + "/api/locate/", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Cookie": f"sessionid={cookie}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        got = json.loads(r.read())
    answers = got["results"] if isinstance(got, dict) else got
    conn = psycopg2.connect(**_dsn())
    with conn.cursor() as cur:
        cur.execute("SELECT u.ord, min(g.code) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, ord) "
                    "JOIN grids_gridpiece p ON ST_Covers(p.geometry, ST_SetSRID(ST_MakePoint(u.x, u.y), 4490)) "
                    "JOIN grids_grid g ON g.id = p.grid_id AND g.kind = 'base' AND g.valid_to IS NULL "
                    "WHERE NOT EXISTS (SELECT 1 FROM grids_grid c WHERE c.parent_id = g.id AND c.kind = 'base' "
                    "AND c.valid_to IS NULL) GROUP BY u.ord",
                    ([p[0] for p in points], [p[1] for p in points]))
        expected = {int(o) - 1: c for o, c in cur.fetchall()}
    conn.close()
    mismatches = 0
    for i, a in enumerate(answers):
        code = ((a or {}).get("grid") or {}).get("code") if isinstance(a, dict) else None
        mismatches += code != expected.get(i)
    return {"checked": len(points), "mismatches": mismatches}


def start_server(app: str = "geogrid.wsgi", *, workers: int = 2):
    """gunicorn with the project's configuration (geogrid/gunicorn.conf.py) and production
    settings, as `make run` serves; returns (process, base url)."""
    port = int(os.environ.get("BENCH_PORT") or _free_port())
    # Production settings read the secrets from the key file, as `make run` does.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geogrid.settings.production", "SECURE_COOKIES": "0",
           "GUNICORN_WORKERS": str(workers)}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "geogrid" / "gunicorn.conf.py"),
                               app, "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                              cwd=ROOT, env=env, start_new_session=True)
    return server, f"http://127.0.0.1:{port}"


def stop_server(server) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)


def single_script(points) -> str:
    """wrk script: GET /api/locate/ cycling through the points."""
    lua_points = ",".join(f"{{{x:.7f},{y:.7f}}}" for x, y in points)
    return (f"local pts = {{{lua_points}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #pts + 1\n  local p = pts[i]\n"
            "  return wrk.format('GET', '/api/locate/?lon=' .. p[1] .. '&lat=' .. p[2])\nend\n")


def bench_floor(points, *, seconds: int, cookie: str = "") -> dict:
    """http_framework_floor: the bare WSGI callable of bench/floor.py behind the same gunicorn
    configuration, driven by the same wrk script (same URLs, same cookie) as the single lookups."""
    server, url = start_server("bench.floor:application")
    try:
        wait_ready(url + "/healthz", server)
        script = single_script(points)
        _wrk(url, cookie=cookie, seconds=min(2, seconds), connections=8, script=script)  # warm up
        r = _wrk(url, cookie=cookie, seconds=seconds, connections=8, script=script)
    finally:
        stop_server(server)
    emit("http_framework_floor", r["rps"], "requests/s", None, p99_ms=r["p99_ms"], workers=2, clients=8,
         note="bench/floor.py: a bare WSGI callable returning constant JSON, same gunicorn config "
              "(2 gthread workers), same wrk script; the ceiling every HTTP figure is a ratio to")
    return r


def bench_http(city, *, seconds: int) -> None:
    import random

    cookie = _session_cookie()
    rng = random.Random(7)
    sample = [city.points[rng.randrange(len(city.points))] for _ in range(1000)]
    floor = bench_floor(sample, seconds=seconds, cookie=cookie)
    server, url = start_server()
    try:
        wait_ready(url + "/healthz", server)
        single = single_script(sample)
        _wrk(url, cookie=cookie, seconds=min(2, seconds), connections=8, script=single)  # warm up
        raw = bench_raw_locate(city, seconds)
        r = _wrk(url, cookie=cookie, seconds=seconds, connections=8, script=single)
        emit("locate_http_single", r["rps"], "requests/s", raw, p99_ms=r["p99_ms"], not_found_404=r["non2xx"],
             workers=2, clients=8, target_rps=2500, target_p99_ms=10, floor_rps=floor["rps"],
             floor_ratio=round(r["rps"] / floor["rps"], 3), target_floor_ratio=0.5,
             note="gunicorn 2 sync workers, wrk 8 connections, 1,000 random registry points (those in coverage "
                  "gaps answer 404); reference: raw PostGIS lookups/s on 2 connections")
        emit("locate_http_single_p99", r["p99_ms"], "ms", 10.0, note="reference is the 10 ms target")
        start = rng.randrange(len(city.points) - 10_000)
        batch_points = [[round(float(x), 7), round(float(y), 7)] for x, y in city.points[start:start + 10_000]]
        body = json.dumps({"crs": "wgs84", "points": batch_points})
        batch = ("wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n"
                 f"wrk.body = [==[{body}]==]\n")
        # A 10,000-point request takes ~0.1 s alone and longer on a busy machine: at least 3 s of
        # measurement, so a short run (the smoke test's 1 s) still completes requests to count.
        batch_seconds = max(3, seconds)
        raw_batch = bench_raw_batch(batch_points, batch_seconds)
        b = _wrk(url + "/api/locate/", cookie=cookie, seconds=batch_seconds, connections=2, script=batch)
        emit("locate_http_batch", b["rps"] * 10_000, "points/s", raw_batch, p99_ms=b["p99_ms"], non_2xx=b["non2xx"],
             points_per_request=10_000, target=200_000, requests_per_s=b["rps"], floor_rps=floor["rps"],
             floor_ratio=round(b["rps"] / floor["rps"], 4),
             note="POST 10,000 neighbouring points, 2 clients; reference: raw PostGIS point-in-polygon of the same "
                  "points on 2 connections (grid ids only)")
        agree = http_agreement(url, cookie, batch_points[:2000])
        emit("locate_http_mismatches", agree["mismatches"], "points", 0, checked=agree["checked"],
             note="batch locate over HTTP against PostGIS (lowest-code covering grid) for the same points")
    finally:
        stop_server(server)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "medium", "full"], default="full")
    parser.add_argument("--skip-http", action="store_true", help="only the assignment")
    parser.add_argument("--seconds", type=int, default=10, help="length of each HTTP measurement")
    parser.add_argument("--suite", choices=["locate", "http", "maps", "ogc", "dask", "all", "growth", "growth-one"], default="all")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "xs,s,m"),
                        help="growth: province sizes of bench/province.py, smallest first")
    parser.add_argument("--size-one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--grids", type=int, default=None, help="maps: micro-grids (default by --size)")
    parser.add_argument("--repeat", type=int, default=3, help="maps: page loads timed")
    args = parser.parse_args(argv)
    if args.suite == "growth":
        from .growth import run_all

        run_all([x for x in args.sizes.split(",") if x], seconds=args.seconds, repeat=args.repeat)
        return 0
    if args.suite == "maps":
        from .maps import DB_NAME
        os.environ.setdefault("GEOGRID_BENCH_DB", DB_NAME)
    name = point_settings_at_bench_db()
    # This process (which makes the session) and the server (which reads it) both take
    # SECRET_KEY from the key file that set-up wrote.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geogrid.settings.local")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from .city import build
    from .db import ensure_database, load_city

    ensure_database(name)
    call_command("migrate", verbosity=0, interactive=False)
    if args.suite == "growth-one":
        from .growth import run_one

        call_command("createcachetable", verbosity=0)
        run_one(args.size_one, seconds=args.seconds, repeat=args.repeat)
        return 0
    if args.suite == "maps":
        from .maps import SIZES, run

        run(grids=args.grids or SIZES[args.size], repeat=args.repeat)
        return 0
    t = time.perf_counter()
    city = build(args.size)
    load_city(city, settings.GEOGRID_SRID)
    print(json.dumps({"name": "setup", "size": args.size, "database": name, "grids": len(city.grids),
                      "points": len(city.points), "seconds": round(time.perf_counter() - t, 1)}), flush=True)
    if args.suite in ("locate", "all"):
        bench_assign(city)
    if args.suite in ("locate", "all", "http") and not args.skip_http:
        bench_http(city, seconds=args.seconds)
    if args.suite in ("dask", "all"):
        from .dask_assign import run as run_dask

        run_dask(city, emit=emit, size=args.size)
    if args.suite in ("ogc", "all") and not args.skip_http:
        from .ogc import run as run_ogc

        run_ogc(emit=emit, wait_ready=wait_ready, free_port=_free_port)
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    sys.exit(main())
