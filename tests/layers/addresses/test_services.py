import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Point

from layers.addresses.models import Address
from layers.addresses.services import address_create, addresses_assign_all, addresses_reassign_for_grids
from layers.core.crs import from_storage
from layers.grids.models import Grid
from layers.grids.locate import locate
from layers.grids.services import grid_create, grid_update

from tests.support import box

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 1)


@pytest.fixture
def town():
    """A street of two micro-grids split at lon 120.005; the east half of a second street is missing."""
    root = grid_create(parent=None, level=2, name="测试街道", code="310999001000", geometry=box(120, 30, 120.02, 30.01),
                       valid_from=START)
    west = grid_create(parent=root, level=4, name="西", geometry=box(120, 30, 120.005, 30.01), valid_from=START)
    east = grid_create(parent=root, level=4, name="东", geometry=box(120.005, 30, 120.01, 30.01), valid_from=START)
    return {"root": root, "west": west, "east": east}


def add(text, lon, lat, **kw):
    return Address.objects.create(full_text=text, geometry=Point(lon, lat, srid=4490), **kw)


def test_point_on_shared_edge_goes_to_lowest_code_in_bulk_and_lookup(town):
    a = add("边界上", 120.005, 30.005)
    report = addresses_assign_all()
    a.refresh_from_db()
    assert town["west"].code < town["east"].code
    assert a.grid_id == town["west"].pk
    assert a.near_boundary and a.edge_distance_m == 0
    assert locate(lon=120.005, lat=30.005).grid["id"] == town["west"].pk
    assert report.changed >= 1


def test_near_boundary_flag_within_setting_metres(town, settings):
    settings.GEOGRID_NEAR_BOUNDARY_M = 5.0
    near = add("近边界", 120.005 + 3 / 96_000, 30.005)   # ~3 m east of the edge
    far = add("远离边界", 120.0075, 30.005)               # ~240 m from every edge
    addresses_assign_all()
    near.refresh_from_db(); far.refresh_from_db()
    assert near.grid_id == town["east"].pk and near.near_boundary and 2.5 < near.edge_distance_m < 3.5
    assert far.grid_id == town["east"].pk and not far.near_boundary and far.edge_distance_m > 200


def test_point_in_no_micro_grid_is_a_listed_gap(town):
    gap = add("无网格", 120.015, 30.005)  # inside the street, outside both micro-grids
    report = addresses_assign_all()
    gap.refresh_from_db()
    assert gap.grid_id is None
    assert {"id": gap.pk, "full_text": "无网格"} in report.gaps
    assert gap in Address.objects.filter(grid__isnull=True)


def test_bulk_diff_reports_moves_by_grid_code(town):
    a = add("甲", 120.002, 30.002)
    Address.objects.filter(pk=a.pk).update(grid=town["east"])
    report = addresses_assign_all()
    assert {"from": town["east"].code, "to": town["west"].code, "count": 1} in report.moves
    assert addresses_assign_all().changed == 0


def test_address_left_in_a_grid_that_no_longer_holds_it_becomes_a_gap_in_the_diff(town):
    """The check after the writes: a grid changed behind the services' back (no hook) so that it
    no longer covers an address, and no other grid does: the address is cleared, counted as a
    gap and reported as a move to nowhere; the counts agree with the table."""
    a = add("甲", 120.004, 30.005)
    b = add("乙", 120.001, 30.005)
    first = addresses_assign_all()
    assert first.assigned == 2 and first.gap_count == 0
    Grid.objects.filter(pk=town["west"].pk).update(geometry=MultiPolygon(box(120, 30, 120.003, 30.01), srid=4490),
                                                  updated_at=dt.datetime.now(dt.timezone.utc))
    report = addresses_assign_all()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.grid_id is None and b.grid_id == town["west"].pk
    assert {"from": town["west"].code, "to": None, "count": 1} in report.moves
    assert report.changed == 1 and report.gap_count == 1 and {"id": a.pk, "full_text": "甲"} in report.gaps
    assert (report.considered, report.assigned) == (Address.objects.count(), Address.objects.exclude(grid=None).count())
    assert addresses_assign_all().updated == 0


def test_gcj02_and_wgs84_of_the_same_place_land_in_the_same_grid(demo_grids):
    lon, lat = 121.4452, 31.2221
    glon, glat = from_storage(lon, lat, "gcj02")
    assert abs(glon - lon) > 0.002  # GCJ-02 is hundreds of metres off
    w = address_create(full_text="南京西路1号", lon=lon, lat=lat, crs="wgs84")
    g = address_create(full_text="南京西路1号", lon=glon, lat=glat, crs="gcj02")
    assert w.grid_id is not None and w.grid_id == g.grid_id
    assert w.geometry.distance(g.geometry) * 96_000 < 0.5


def test_boundary_change_reassigns_only_the_changed_area(town, demo_grids):
    moving = add("会换网格", 120.0045, 30.005)
    elsewhere = add("别处", 121.4452, 31.2221)  # in the demo street, far from the change
    addresses_assign_all()
    moving.refresh_from_db()
    assert moving.grid_id == town["west"].pk
    # Mark an address outside the change: a whole-city run would correct it, the hook must not touch it.
    Address.objects.filter(pk=elsewhere.pk).update(grid=None)
    grid_update(grid=town["west"], geometry=box(120, 30, 120.004, 30.01))
    moving.refresh_from_db()
    assert moving.grid_id is None  # now in a gap
    grid_update(grid=town["east"], geometry=box(120.004, 30, 120.01, 30.01))
    moving.refresh_from_db(); elsewhere.refresh_from_db()
    assert moving.grid_id == town["east"].pk
    assert elsewhere.grid_id is None


def test_reassigning_named_grids_without_an_area_takes_their_addresses_and_their_points(town, demo_grids):
    """The hook's form without a changed area: the addresses assigned to the grids, and those whose
    point lies in them, are placed again; nothing else is touched."""
    wrong = add("挂错网格", 120.0045, 30.005)        # in west, stored under east
    lost = add("未分配", 120.007, 30.005)            # in east, stored with no grid
    elsewhere = add("别处", 121.4452, 31.2221)
    Address.objects.filter(pk=wrong.pk).update(grid=town["east"])
    report = addresses_reassign_for_grids(grid_ids=[town["east"].pk])
    got = dict(Address.objects.filter(pk__in=[wrong.pk, lost.pk, elsewhere.pk]).values_list("pk", "grid_id"))
    assert got == {wrong.pk: town["west"].pk, lost.pk: town["east"].pk, elsewhere.pk: None}
    assert report.considered == 2


def test_special_grids_containing_the_address_are_recorded(demo_grids):
    special = next(g for g in demo_grids.values() if g.kind == "business_district")
    p = special.geometry.point_on_surface
    a = address_create(full_text="商圈里", lon=p.x, lat=p.y)
    assert special in a.special_grids.all()


def test_lookup_index_follows_a_grid_change_in_the_same_transaction(town):
    from layers.grids.locate import locate_json

    assert '"name":"西"' in locate_json([(120.0045, 30.005)])[0]
    grid_update(grid=town["west"], geometry=box(120, 30, 120.004, 30.01))
    assert '"grid":null' in locate_json([(120.0045, 30.005)])[0]  # now a gap of the street
    grid_update(grid=town["east"], name="新东")
    grid_update(grid=town["east"], geometry=box(120.004, 30, 120.01, 30.01))
    assert '"name":"新东"' in locate_json([(120.0045, 30.005)])[0]
