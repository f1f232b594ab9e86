"""Visits partitioned by district (layers/core/partitions.py, migration subjects/0002): a visit
lands in its subject's district, one subject's visits are read from that partition only
(EXPLAIN), a district gets its own partition without losing a visit, a subject that moves to
another district takes its visits along, and Django keeps the keys the table no longer has."""
import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection

from layers.addresses.models import Address
from layers.addresses.services import address_create
from layers.core.partitions import partition_ensure, partitions_of
from layers.grids.services import grid_create
from layers.staff.models import Role
from layers.subjects.models import Subject, Visit
from layers.subjects.selectors import visit_list
from layers.subjects.services import subject_create, subjects_follow_addresses, visit_create
from tests.support import GRID_A, plan_of, rows_in

pytestmark = pytest.mark.django_db
TABLE = "subjects_visit"
DISTRICT = GRID_A[:6]


@pytest.fixture
def visited(demo_grids, make_user):
    """A subject in grid A with three visits by the grid's head."""
    p = demo_grids[GRID_A].geometry.point_on_surface
    address = address_create(full_text="分区路1号", lon=round(p.x, 7), lat=round(p.y, 7), households=2)
    subject = subject_create(address=address, name="分区对象", category="returned_overseas")
    head = make_user("visit-part-head", Role.GRID_HEAD, demo_grids[GRID_A])
    for i in range(3):
        visit_create(subject=subject, staff=head, date=dt.date(2026, 1, 1) + dt.timedelta(days=30 * i))
    return subject, head


def test_a_subjects_visits_live_and_are_read_in_its_districts_partition(visited):
    subject, head = visited
    assert subject.district_code == DISTRICT
    assert set(Visit.objects.filter(subject=subject).values_list("district_code", flat=True)) == {DISTRICT}
    # No partition of its own yet: the default one holds them; then the district gets one.
    assert rows_in(f"{TABLE}_default") == 3
    assert partition_ensure(TABLE, DISTRICT) is True
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "local"
    assert rows_in(f"{TABLE}_default") == 0 and rows_in(f"{TABLE}_{DISTRICT}") == 3
    # Reads of one subject's visits touch its district's partition only.
    for qs in (Visit.of(subject), visit_list(user=head, subject_id=subject.pk)):
        plan = plan_of(qs)
        assert f"{TABLE}_{DISTRICT}" in plan and f"{TABLE}_default" not in plan, plan
    assert visit_list(user=head, subject_id=subject.pk).count() == 3
    assert Visit.of(subject).count() == 3
    # New visits go on into the district's partition.
    visit_create(subject=subject, staff=head, date=dt.date(2026, 6, 1))
    assert rows_in(f"{TABLE}_{DISTRICT}") == 4
    # An unknown subject has no visits (and no error).
    assert visit_list(user=head, subject_id=10 ** 12).count() == 0


def test_a_subject_moving_to_another_district_takes_its_visits_along(visited):
    subject, _head = visited
    partition_ensure(TABLE, DISTRICT)
    elsewhere = grid_create(parent=None, level=2, name="外区街道", code="310999002000",
                            geometry=Polygon.from_bbox((120, 30, 120.02, 30.01)), valid_from=dt.date(2025, 1, 1))
    partition_ensure(TABLE, "310999")
    Address.objects.filter(pk=subject.address_id).update(grid=elsewhere)
    assert subjects_follow_addresses(grid_ids=[elsewhere.pk]) >= 1
    subject = Subject.objects.get(pk=subject.pk)
    assert subject.grid_id == elsewhere.pk and subject.district_code == "310999"
    assert Visit.of(subject).count() == 3
    assert rows_in(f"{TABLE}_{DISTRICT}") == 0 and rows_in(f"{TABLE}_310999") == 3
    # Running the hook again moves nothing.
    assert subjects_follow_addresses(grid_ids=[elsewhere.pk]) == 0 and rows_in(f"{TABLE}_310999") == 3


def test_django_keeps_the_keys_the_partitioned_table_does_not_have(visited):
    subject, head = visited
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('f', 'p', 'u')",
                    [TABLE])
        assert cur.fetchone()[0] == 0   # no key on the parent: a foreign partition could not be attached
    head.delete()                       # SET_NULL, by Django
    assert Visit.of(subject).filter(staff__isnull=True).count() == 3
    subject.delete()                    # CASCADE, by Django
    assert rows_in(TABLE) == 0


def test_the_sql_district_rule_is_the_python_one():
    from layers.core.partitions import district_code_of

    with connection.cursor() as cur:
        for code in ("310106013001001", "3101", None, "", "31a106000000", "110101"):
            cur.execute("SELECT geogrid_district_code(%s)", [code])
            assert cur.fetchone()[0] == district_code_of(code), code
