"""Patrol points partitioned by district (layers/core/partitions.py): rows land in their district's
partition, queries read that partition only (EXPLAIN), a district gets its own partition without
losing a row, and a district whose partition lives on a second PostgreSQL cluster (postgres_fdw,
started here) is written and read by the app unchanged."""
import os
import shutil
import subprocess
import tempfile
import time

import psycopg2
import pytest
from django.db import connection

from layers.core.partitions import partition_attach_foreign, partition_ensure, partitions_of
from layers.patrols.models import PatrolPoint
from layers.staff.models import Role

G1 = "310106013001001"
DISTRICT = "310106"
TABLE = "patrols_patrolpoint"
PGBIN = "/usr/lib/postgresql/15/bin"


def walk(grid, n=5, t0=None):
    p = grid.geometry.point_on_surface
    t0 = t0 or int(time.time()) - 60
    return [[round(p.x + i * 0.0002, 7), round(p.y, 7), t0 + 30 * i] for i in range(n)]


def start_patrol(client, user):
    client.force_login(user)
    r = client.post("/api/patrols/", {}, content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def rows_in(table):
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{table}"')
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_a_district_gets_its_own_partition_without_losing_a_point_and_queries_read_only_it(client, demo_grids,
                                                                                             make_user):
    member = make_user("part-member", Role.GRID_MEMBER, demo_grids[G1])
    pid = start_patrol(client, member)
    pts = walk(demo_grids[G1])
    assert client.post(f"/api/patrols/{pid}/points/", {"points": pts[:3]},
                       content_type="application/json").json()["added"] == 3
    # No partition of its own yet: the default one holds the district's points.
    assert f"{TABLE}_{DISTRICT}" not in partitions_of(TABLE) and rows_in(f"{TABLE}_default") == 3

    assert partition_ensure(TABLE, DISTRICT) is True
    assert partition_ensure(TABLE, DISTRICT) is False
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "local"
    assert rows_in(f"{TABLE}_default") == 0 and rows_in(f"{TABLE}_{DISTRICT}") == 3
    # Writes go on into the new partition; a replay still adds nothing (unique within the partition).
    body = client.post(f"/api/patrols/{pid}/points/", {"points": pts}, content_type="application/json").json()
    assert body["added"] == 2 and body["points"] == 5 and rows_in(f"{TABLE}_{DISTRICT}") == 5
    track = client.get(f"/api/patrols/{pid}/").json()
    assert len(track["properties"]["points"]) == 5

    patrol = PatrolPoint.objects.filter(patrol_id=pid).first().patrol
    sql, params = PatrolPoint.of(patrol).order_by("at").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert f"{TABLE}_{DISTRICT}" in plan and f"{TABLE}_default" not in plan, plan


@pytest.mark.django_db
def test_bad_district_codes_and_tables_are_refused(demo_grids):
    for table, district in ((TABLE, "31010"), (TABLE, "3101067"), (TABLE, "x'; --"), ("grids_grid", DISTRICT)):
        with pytest.raises(ValueError):
            partition_ensure(table, district)
    with pytest.raises(ValueError):
        partition_attach_foreign(TABLE, DISTRICT, server="x; drop table grids_grid")


@pytest.mark.django_db
def test_partitions_ensure_gives_every_district_of_the_grids_its_partition(demo_grids):
    from django.core.management import CommandError, call_command

    call_command("partitions_ensure", verbosity=0)
    assert partitions_of(TABLE) == {f"{TABLE}_{DISTRICT}": "local", f"{TABLE}_default": "default"}
    call_command("partitions_ensure", verbosity=0)  # again: nothing to do
    assert len(partitions_of(TABLE)) == 2
    with pytest.raises(CommandError):
        call_command("partitions_ensure", district=["31"], verbosity=0)


@pytest.fixture
def second_cluster():
    """A second PostgreSQL 15 cluster with PostGIS on a socket of its own, holding the district's
    table as it would on another machine; stopped and removed afterwards."""
    as_root = os.geteuid() == 0
    base = tempfile.mkdtemp(prefix="geogrid-fdw-")
    data, sock = os.path.join(base, "data"), os.path.join(base, "run")
    os.makedirs(sock)
    if as_root:
        shutil.chown(base, "postgres", "postgres")
        for d in (sock,):
            shutil.chown(d, "postgres", "postgres")

    def run(*cmd):
        cmd = list(cmd)
        if as_root:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)

    run(f"{PGBIN}/initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=reject", "-E", "UTF8",
        "--locale=C.UTF-8")
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write(f"listen_addresses = ''\nunix_socket_directories = '{sock}'\nport = 5439\nfsync = off\n"
                "synchronous_commit = off\nshared_buffers = 32MB\n")
    run(f"{PGBIN}/pg_ctl", "-D", data, "-l", os.path.join(base, "server.log"), "-w", "-t", "120", "start")
    try:
        con = psycopg2.connect(host=sock, port=5439, user="postgres", dbname="postgres")
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE district")
        con.close()
        con = psycopg2.connect(host=sock, port=5439, user="postgres", dbname="district")
        con.autocommit = True
        cur = con.cursor()
        cur.execute("CREATE EXTENSION postgis")
        with connection.cursor() as local:
            local.execute("SELECT Find_SRID('public', 'patrols_patrolpoint', 'geometry')")
            srid = local.fetchone()[0]
        cur.execute(f"CREATE TABLE {TABLE}_{DISTRICT} (id bigint NOT NULL PRIMARY KEY, "
                    f"geometry geometry(Point, {srid}) NOT NULL, at timestamptz NOT NULL, patrol_id bigint NOT NULL, "
                    f"district_code varchar(6) NOT NULL CHECK (district_code = '{DISTRICT}'))")
        cur.execute(f"CREATE UNIQUE INDEX ON {TABLE}_{DISTRICT} (patrol_id, at)")
        yield {"socket": sock, "port": 5439, "connection": con}
        con.close()
    finally:
        run(f"{PGBIN}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def remote_district(transactional_db, second_cluster):
    """The district's partition as a foreign table on the second cluster; detached afterwards so
    that the test database is flushed as usual."""
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
        cur.execute("CREATE SERVER district_remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS "
                    "(host %s, port %s, dbname 'district', extensions 'postgis')",
                    [second_cluster["socket"], str(second_cluster["port"])])
        cur.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER district_remote OPTIONS (user 'postgres')")
    partition_attach_foreign(TABLE, DISTRICT, server="district_remote")
    yield second_cluster
    with connection.cursor() as cur:
        cur.execute(f'DROP FOREIGN TABLE IF EXISTS "{TABLE}_{DISTRICT}"')
        cur.execute("DROP SERVER IF EXISTS district_remote CASCADE")


def test_a_district_on_a_second_cluster_is_written_and_read_by_the_app_unchanged(client, demo_grids, make_user,
                                                                                 remote_district):
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "foreign"
    member = make_user("fdw-member", Role.GRID_MEMBER, demo_grids[G1])
    pid = start_patrol(client, member)
    pts = walk(demo_grids[G1])
    added = client.post(f"/api/patrols/{pid}/points/", {"points": pts}, content_type="application/json")
    assert added.status_code == 200, added.content
    assert added.json()["added"] == 5 and 70 < added.json()["distance_m"] < 82
    # A replay adds nothing: the remote table's own unique index answers the ON CONFLICT.
    again = client.post(f"/api/patrols/{pid}/points/", {"points": pts[1:]}, content_type="application/json")
    assert again.json()["added"] == 0 and again.json()["points"] == 5

    # The rows are on the other cluster (committed there), none here.
    remote = remote_district["connection"].cursor()
    remote.execute(f"SELECT count(*), min(district_code), max(district_code) FROM {TABLE}_{DISTRICT} "
                   "WHERE patrol_id = %s", [pid])
    assert remote.fetchone() == (5, DISTRICT, DISTRICT)
    assert rows_in(f"{TABLE}_default") == 0
    # Read back through the app: the track and its points.
    detail = client.get(f"/api/patrols/{pid}/").json()
    assert detail["geometry"]["type"] == "LineString" and len(detail["properties"]["points"]) == 5
    assert [p[2] for p in detail["properties"]["points"]] == [p[2] for p in pts]
    # The query names the district, so PostgreSQL plans the foreign scan alone.
    patrol = PatrolPoint.objects.filter(patrol_id=pid).first().patrol
    sql, params = PatrolPoint.of(patrol).query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Foreign Scan" in plan and f"{TABLE}_default" not in plan, plan
