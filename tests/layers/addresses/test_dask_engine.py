"""The Dask engine of the bulk assignment against the in-database path, point by point, on the
demo street with random points, points on grid vertices (the edge rule decides) and points
outside every micro-grid (gaps). A real LocalCluster (two workers as threads: quick to start),
real PostGIS; the workers read committed rows, so these tests commit (transactional_db)."""

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.management import call_command
from django.db import connection

from layers.addresses.dask_engine import addresses_assign_dask, spatial_tiles
from layers.addresses.models import Address
from layers.addresses.services import addresses_assign_all
from layers.core.cluster import dask_client
from layers.grids.models import Grid
from layers.grids.services import grid_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def client():
    with dask_client(scheduler="", workers=2, processes=False) as c:
        yield c


def _points(seed: int, n: int) -> np.ndarray:
    """Random points over the street's box (some outside every micro-grid) and on the vertices
    of micro-grids (on shared edges and corners)."""
    rng = np.random.default_rng(seed)
    micro = [shapely.from_wkb(bytes(g.geometry.wkb)) for g in
             Grid.objects.filter(valid_to__isnull=True, kind="base", level=4)]
    x0, y0, x1, y1 = shapely.total_bounds(micro)
    pad = 0.002
    spread = np.column_stack([rng.uniform(x0 - pad, x1 + pad, n), rng.uniform(y0 - pad, y1 + pad, n)])
    vertices = shapely.get_coordinates(micro)
    return np.vstack([spread, vertices[rng.integers(0, len(vertices), n // 10)]])


def _load(points: np.ndarray) -> None:
    Address.objects.bulk_create([Address(full_text=f"测试路{i}号", geometry=Point(float(x), float(y), srid=4490))
                                 for i, (x, y) in enumerate(points)], batch_size=2000)


def _state() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT id, grid_id, edge_distance_m, near_boundary, district_code FROM addresses_address "
                    "ORDER BY id")
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute("SELECT address_id, grid_id FROM addresses_addressspecialgrid ORDER BY 1, 2")
        return {"rows": rows, "special": cur.fetchall()}


def _assert_same(a: dict, b: dict) -> None:
    assert a["rows"].keys() == b["rows"].keys()
    diff = [(i, a["rows"][i], b["rows"][i]) for i in a["rows"]
            if a["rows"][i][0] != b["rows"][i][0] or a["rows"][i][2:] != b["rows"][i][2:]
            or (a["rows"][i][1] is None) != (b["rows"][i][1] is None)
            or (a["rows"][i][1] is not None and abs(a["rows"][i][1] - b["rows"][i][1]) > 0.011)]
    assert not diff, f"{len(diff)} points differ, e.g. {diff[:5]}"
    assert a["special"] == b["special"]


def _scramble(seed: int) -> int:
    """Put every 7th address into a wrong grid, forget some edge distances and clear some grids."""
    ids = list(Grid.objects.filter(valid_to__isnull=True, kind="base", level=4).values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute("UPDATE addresses_address SET grid_id = (%s::bigint[])[1 + mod(id, %s)], assigned_at = NULL "
                    "WHERE mod(id, 7) = 0", [ids, len(ids)])
        cur.execute("UPDATE addresses_address SET edge_distance_m = NULL WHERE mod(id, 11) = 0")
        cur.execute("UPDATE addresses_address SET grid_id = NULL, assigned_at = NULL WHERE mod(id, 13) = 0")
        cur.execute("DELETE FROM addresses_addressspecialgrid WHERE mod(address_id, 5) = 0")
        return cur.rowcount


def test_dask_answers_agree_with_the_database_on_every_point(demo_grids, client):
    _load(_points(11, 3000))
    reference = addresses_assign_all(full=True)
    expected = _state()
    assert reference.gap_count > 0 and reference.assigned > 0   # the data has gaps and assigned points
    assert expected["special"], "the demo's special grids hold some points"
    _scramble(11)
    report = addresses_assign_dask(client=client, force=True)
    _assert_same(_state(), expected)
    assert (report.considered, report.assigned, report.gap_count, report.near_boundary) == \
        (reference.considered, reference.assigned, reference.gap_count, reference.near_boundary)
    assert report.changed > 0 and report.moves and report.steps["tiles"] > 1
    gaps = {g["id"] for g in report.gaps}
    assert gaps and all(expected["rows"][i][0] is None for i in gaps)
    # Nothing left to do for either engine: only changed rows are written.
    again = addresses_assign_dask(client=client)
    assert (again.updated, again.changed) == (0, 0)
    assert addresses_assign_all().updated == 0


def test_only_changed_rows_are_written_and_the_diff_names_grid_codes(demo_grids, client):
    _load(_points(12, 1000))
    addresses_assign_all()
    moved = Address.objects.filter(grid__isnull=False).order_by("id").first()
    right = moved.grid
    wrong = Grid.objects.filter(valid_to__isnull=True, kind="base", level=4).exclude(pk=right.pk).first()
    Address.objects.filter(pk=moved.pk).update(grid=wrong)
    before = dict(Address.objects.values_list("id", "assigned_at"))
    report = addresses_assign_dask(client=client)
    after = dict(Address.objects.values_list("id", "assigned_at"))
    assert report.moves == [{"from": wrong.code, "to": right.code, "count": 1}]
    assert [i for i in after if after[i] != before[i]] == [moved.pk]


def test_reassignment_after_a_large_change_runs_on_dask_inside_its_transaction(demo_grids, settings):
    """A boundary change over GEOGRID_DASK_MIN_GRIDS grids re-places the addresses through the
    Dask engine inside the change's transaction; the result is the in-database one."""
    settings.GEOGRID_ASSIGN_ENGINE = "dask"
    settings.GEOGRID_DASK_MIN_GRIDS = 1
    settings.GEOGRID_DASK_PROCESSES = False
    _load(_points(13, 1500))
    addresses_assign_all(full=True)
    grid = Grid.objects.filter(valid_to__isnull=True, kind="base", level=4).order_by("code").first()
    shrunk = GEOSGeometry(shapely.to_wkb(shapely.buffer(shapely.from_wkb(bytes(grid.geometry.wkb)), -0.0004),
                                         hex=True), srid=4490)
    inside = Address.objects.filter(grid=grid).count()
    grid_update(grid=grid, geometry=shrunk, note="测试收缩")
    after_dask = _state()
    settings.GEOGRID_ASSIGN_ENGINE = "postgis"
    assert addresses_assign_all(full=True).changed == 0   # the database finds nothing left to move
    _assert_same(_state(), after_dask)
    assert Address.objects.filter(grid=grid).count() < inside


def test_tiles_are_disjoint_and_cover_every_point(demo_grids):
    _load(_points(14, 2000))
    tiles = spatial_tiles(8)
    assert len(tiles) == 8
    xy = np.array([(p.x, p.y) for p in Address.objects.values_list("geometry", flat=True)])
    owners = sum(((xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)).astype(int)
                 for x0, y0, x1, y1 in tiles)
    assert (owners == 1).all()
    counts = [int(((xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)).sum())
              for x0, y0, x1, y1 in tiles]
    assert min(counts) > len(xy) / 8 / 3   # about equal shares


def test_command_runs_the_dask_engine(demo_grids, settings, capsys):
    settings.GEOGRID_DASK_PROCESSES = False
    _load(_points(15, 500))
    call_command("addresses_assign", "--engine", "dask", "--workers", "1", "--scheduler", "")
    out = capsys.readouterr().out
    assert "dask: 1 workers" in out
    assert Address.objects.filter(grid__isnull=False).count() > 0
    assert addresses_assign_all().updated == 0
