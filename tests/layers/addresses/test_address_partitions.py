"""Addresses partitioned by district (layers/core/partitions.py, migration addresses/0008): an
address lives in its micro-grid's district and one without a micro-grid in the DEFAULT partition,
the assignment moves it when its grid changes district, a field worker's read of an address names
their districts (EXPLAIN), a district gets its own partition without losing an address, and Django
keeps the keys the table no longer has."""
import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import ProtectedError

from layers.addresses.models import Address
from layers.addresses.services import address_create, addresses_assign_all
from layers.core.partitions import partition_ensure, partitions_of
from layers.grids.services import grid_create
from layers.staff.models import Role
from layers.staff.scope import scope_for
from layers.subjects.selectors import address_for_field_staff
from tests.support import GRID_A, plan_of, rows_in

pytestmark = pytest.mark.django_db
TABLE = "addresses_address"
DISTRICT = GRID_A[:6]
OTHER = "310999"
AWAY = (120, 30, 120.02, 30.01)   # a box away from the demo street


@pytest.fixture
def address(demo_grids):
    p = demo_grids[GRID_A].geometry.point_on_surface
    return address_create(full_text="分区地址路1号", lon=round(p.x, 7), lat=round(p.y, 7), households=3)


def test_an_address_lives_in_its_grids_district_and_a_field_read_names_it(address, demo_grids, make_user):
    assert address.grid.code == GRID_A and address.district_code == DISTRICT
    assert rows_in(f"{TABLE}_default", f"id = {address.pk}") == 1
    assert partition_ensure(TABLE, DISTRICT) is True
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "local"
    assert rows_in(f"{TABLE}_default", f"district_code = '{DISTRICT}'") == 0
    assert rows_in(f"{TABLE}_{DISTRICT}", f"id = {address.pk}") == 1
    partition_ensure(TABLE, OTHER)
    member = make_user("addr-part-member", Role.GRID_MEMBER, demo_grids[GRID_A])
    assert address_for_field_staff(user=member, pk=address.pk).pk == address.pk
    scope = scope_for(member)
    plan = plan_of(Address.objects.filter(scope.q("grid"), scope.q_districts(), pk=address.pk))
    assert f"{TABLE}_{DISTRICT}" in plan and f"{TABLE}_{OTHER}" not in plan and f"{TABLE}_default" not in plan, plan
    # A new address is written into the default partition and its assignment moves it.
    p = address.geometry
    again = address_create(full_text="分区地址路2号", lon=p.x, lat=p.y, households=1)
    assert again.district_code == DISTRICT and rows_in(f"{TABLE}_{DISTRICT}", f"id = {again.pk}") == 1
    assert rows_in(f"{TABLE}_default", f"id = {again.pk}") == 0


def test_an_address_follows_its_grid_across_a_district_line_and_back_into_a_gap(demo_grids):
    for district in (DISTRICT, OTHER):
        partition_ensure(TABLE, district)
    gap = address_create(full_text="外区路9号", lon=120.01, lat=30.005, households=1)
    assert gap.grid_id is None and gap.district_code == "000000"
    assert rows_in(f"{TABLE}_default", f"id = {gap.pk}") == 1
    # A micro-grid of another district is drawn over it: the re-assignment its creation runs
    # moves the row there.
    grid = grid_create(parent=None, level=4, name="外区网格", code=f"{OTHER}001001001",
                       geometry=Polygon.from_bbox(AWAY), valid_from=dt.date(2025, 1, 1))
    moved = Address.objects.get(pk=gap.pk)
    assert moved.grid_id == grid.pk and moved.district_code == OTHER
    assert rows_in(f"{TABLE}_{OTHER}", f"id = {gap.pk}") == 1 and rows_in(f"{TABLE}_default", f"id = {gap.pk}") == 0
    # The grid is retired: the address falls back into a gap and the default partition.
    grid.valid_to = dt.date(2026, 1, 1)
    grid.save(update_fields=["valid_to"])
    assert addresses_assign_all().changed == 1
    back = Address.objects.get(pk=gap.pk)
    assert back.grid_id is None and back.district_code == "000000"
    assert rows_in(f"{TABLE}_default", f"id = {gap.pk}") == 1 and rows_in(f"{TABLE}_{OTHER}") == 0
    # Nothing was lost or doubled on the way.
    assert rows_in(TABLE, f"id = {gap.pk}") == 1


def test_django_keeps_the_keys_to_and_from_addresses(address, demo_grids):
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_constraint WHERE (conrelid = %s::regclass AND contype IN ('f', 'p', 'u')) "
                    "OR confrelid = %s::regclass", [TABLE, TABLE])
        assert cur.fetchone()[0] == 0
    with pytest.raises(ProtectedError):   # the address keeps its grid (PROTECT, by Django)
        demo_grids[GRID_A].delete()
    assert Address.objects.filter(pk=address.pk, grid__code=GRID_A).exists()


def test_partitions_ensure_gives_the_addresses_their_districts(address):
    from django.core.management import call_command

    call_command("partitions_ensure", verbosity=0)
    assert partitions_of(TABLE) == {f"{TABLE}_{DISTRICT}": "local", f"{TABLE}_default": "default"}
    assert rows_in(f"{TABLE}_default", f"district_code <> '000000'") == 0
    assert rows_in(f"{TABLE}_{DISTRICT}", f"id = {address.pk}") == 1
