"""The benchmark database: a separate database next to the project's (never the project's own),
loaded with the synthetic city by COPY, indexes built after the load."""
import io
import os
from urllib.parse import urlparse, urlunparse

import psycopg2
import shapely

BENCH_SUFFIX = "_bench"


def point_settings_at_bench_db() -> str:
    """Before Django starts: make the default database the bench one; returns its name."""
    url = os.environ.get("DATABASE_URL")
    if url:
        u = urlparse(url)
        name = u.path.lstrip("/") or "geogrid"
        name = os.environ.get("GEOGRID_BENCH_DB") or (name if name.endswith(BENCH_SUFFIX) else name + BENCH_SUFFIX)
        os.environ["DATABASE_URL"] = urlunparse(u._replace(path="/" + name))
    else:
        name = os.environ.get("GEOGRID_BENCH_DB", "geogrid" + BENCH_SUFFIX)
        os.environ["GEOGRID_DB_NAME"] = name
    return name


def ensure_database(name: str) -> None:
    """Create the bench database with PostGIS and pg_trgm if missing."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname="postgres", user=db["USER"] or None, password=db["PASSWORD"] or None,
                            host=db["HOST"] or None, port=db["PORT"] or None)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm")


def _copy(cur, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(row) + "\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def load_city(city, srid: int) -> None:
    """Replace grids and addresses with the city (skipped when the same city is already loaded)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        cur.execute("SELECT value FROM bench_meta WHERE key = 'city'")
        row = cur.fetchone()
        if row and row[0] == city.name:
            return
        cur.execute("TRUNCATE addresses_addressspecialgrid, addresses_address, grids_gridpiece, grids_gridversion, "
                    "grids_gridcode, grids_grid RESTART IDENTITY CASCADE")
        root_geom = shapely.to_wkb(shapely.set_srid(shapely.box(*shapely.total_bounds(city.grids)), srid), hex=True, include_srid=True)
        cur.execute("INSERT INTO grids_grid (id, parent_id, path, level, kind, use, name, code, next_child_seq, geometry, "
                    "valid_from, version, created_at, updated_at) VALUES (1, NULL, '/1/', 2, 'base', '', '基准城市', "
                    "'310999000000', 1, ST_Multi(%s::geometry), '2025-01-01', 1, now(), now())", [root_geom])
        multi = [shapely.MultiPolygon([g]) for g in city.grids]
        wkb = shapely.to_wkb(shapely.set_srid(multi, srid), hex=True, include_srid=True)
        _copy(cur, "grids_grid", ["id", "parent_id", "path", "level", "kind", "use", "name", "code", "next_child_seq",
                                  "geometry", "valid_from", "version", "created_at", "updated_at"],
              ((str(i + 2), "1", f"/1/{i + 2}/", "4", "base", "residential", f"网格{i + 1}", code, "1", g,
                "2025-01-01", "1", "2025-01-01", "2025-01-01") for i, (code, g) in enumerate(zip(city.codes, wkb))))
        cur.execute("SELECT setval(pg_get_serial_sequence('grids_grid', 'id'), (SELECT max(id) FROM grids_grid))")
        cur.execute("INSERT INTO grids_gridversion (grid_id, version, geometry, valid_from, change, created_at) "
                    "SELECT id, 1, geometry, valid_from, 'bench', now() FROM grids_grid")
        cur.execute("INSERT INTO grids_gridpiece (grid_id, kind, level, geometry) "
                    "SELECT id, kind, level, ST_Subdivide(geometry, 64) FROM grids_grid")
        # Addresses: drop the secondary indexes, COPY in spatial order, build them again.
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'addresses_address' "
                    "AND indexname <> 'addresses_address_pkey'")
        indexes = cur.fetchall()
        for name, _def in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        pts = shapely.to_wkb(shapely.set_srid(shapely.points(city.points), srid), hex=True, include_srid=True)
        _copy(cur, "addresses_address",
              ["full_text", "district", "street", "community", "road", "number", "building", "unit", "room", "kind",
               "households", "geometry", "source_crs", "near_boundary", "created_at", "search_key"],
              ((f"基准路{i}号", "", "", "", "基准路", str(i), "", "", "", "residential", "1", p, "wgs84", "f",
                "2025-01-01", "") for i, p in enumerate(pts)))
        for _name, definition in indexes:
            cur.execute(definition)
        cur.execute("ANALYZE grids_grid; ANALYZE grids_gridpiece; ANALYZE addresses_address")
        cur.execute("INSERT INTO bench_meta VALUES ('city', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    [city.name])


def reset_assignment() -> None:
    """Forget every assignment (not timed), so the measured run assigns the whole city from scratch."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM addresses_address WHERE grid_id IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("UPDATE addresses_address SET grid_id = NULL, edge_distance_m = NULL, near_boundary = false, "
                        "assigned_at = NULL")
            cur.execute("TRUNCATE addresses_addressspecialgrid")
            cur.execute("VACUUM ANALYZE addresses_address")


def scramble_assignment(fraction: float) -> None:
    """Put a fraction of the addresses (every k-th) into the wrong grid, as an out-of-date registry
    would have them, marked unconfirmed as any write through the services leaves them (not timed)."""
    from django.db import connection

    step = max(1, round(1 / fraction))
    with connection.cursor() as cur:
        cur.execute("UPDATE addresses_address a SET grid_id = CASE WHEN a.grid_id IS NULL THEN 2 "
                    "ELSE 2 + mod(a.grid_id + 7, (SELECT count(*) FROM grids_grid) - 1) END, assigned_at = NULL "
                    "WHERE mod(a.id, %s) = 0", [step])
        cur.execute("VACUUM ANALYZE addresses_address")


def assigned_grid_codes() -> dict[int, str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT a.id, g.code FROM addresses_address a JOIN grids_grid g ON g.id = a.grid_id")
        return dict(cur.fetchall())

