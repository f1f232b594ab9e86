"""Subjects partitioned by district (layers/core/partitions.py, migration subjects/0003): a subject
lands in its grid's district, a scoped list reads only the scope's districts' partitions (EXPLAIN),
a district gets its own partition without losing a subject, a subject whose address moves to
another district moves with its visits, and Django keeps the keys the table no longer has."""
import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import ProtectedError

from layers.addresses.models import Address
from layers.addresses.services import address_create
from layers.core.partitions import partition_ensure, partitions_of
from layers.grids.models import Grid
from layers.grids.services import grid_create
from layers.staff.models import Role
from layers.staff.scope import scope_for
from layers.subjects.models import RevealLog, Subject, Visit
from layers.subjects.selectors import subject_list
from layers.subjects.services import subject_create, subject_reveal, subjects_follow_addresses, visit_create
from tests.support import GRID_A, plan_of, rows_in

pytestmark = pytest.mark.django_db
TABLE = "subjects_subject"
DISTRICT = GRID_A[:6]


@pytest.fixture
def subject(demo_grids, make_user):
    p = demo_grids[GRID_A].geometry.point_on_surface
    address = address_create(full_text="分区路2号", lon=round(p.x, 7), lat=round(p.y, 7), households=1)
    head = make_user("subject-part-head", Role.GRID_HEAD, demo_grids[GRID_A])
    s = subject_create(address=address, name="分区对象乙", category="religious_figure", religion="佛教")
    visit_create(subject=s, staff=head, date=dt.date(2026, 3, 1))
    return s, head


def test_a_subject_lives_in_its_districts_partition_and_a_scoped_list_reads_only_that(subject):
    s, head = subject
    assert s.district_code == DISTRICT == Subject.objects.get(pk=s.pk).district_code
    assert rows_in(f"{TABLE}_default", f"id = {s.pk}") == 1
    assert partition_ensure(TABLE, DISTRICT) is True
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "local"
    assert rows_in(f"{TABLE}_default", f"id = {s.pk}") == 0 and rows_in(f"{TABLE}_{DISTRICT}", f"id = {s.pk}") == 1
    partition_ensure(TABLE, "310999")   # another district's partition, which the list must not read
    plan = plan_of(subject_list(user=head))
    assert f"{TABLE}_{DISTRICT}" in plan and f"{TABLE}_310999" not in plan and f"{TABLE}_default" not in plan, plan
    assert [x.pk for x in subject_list(user=head)] == [s.pk]
    assert scope_for(head).q_districts("district_code").children == [("district_code__in", [DISTRICT])]
    # New subjects go on into the district's partition.
    again = subject_create(address=s.address, name="分区对象丙", category="other")
    assert rows_in(f"{TABLE}_{DISTRICT}", f"id = {again.pk}") == 1


def test_a_subject_moving_to_another_district_moves_with_its_visits(subject):
    s, _head = subject
    partition_ensure(TABLE, DISTRICT)
    partition_ensure(TABLE, "310999")
    partition_ensure("subjects_visit", "310999")
    elsewhere = grid_create(parent=None, level=2, name="外区街道", code="310999002000",
                            geometry=Polygon.from_bbox((120, 30, 120.02, 30.01)), valid_from=dt.date(2025, 1, 1))
    Address.objects.filter(pk=s.address_id).update(grid=elsewhere)
    assert subjects_follow_addresses(grid_ids=[elsewhere.pk]) >= 1
    s = Subject.objects.get(pk=s.pk)
    assert s.grid_id == elsewhere.pk and s.district_code == "310999"
    assert rows_in(f"{TABLE}_310999", f"id = {s.pk}") == 1 and rows_in(f"{TABLE}_{DISTRICT}", f"id = {s.pk}") == 0
    assert Visit.of(s).count() == 1 and rows_in("subjects_visit_310999") == 1
    assert subjects_follow_addresses(grid_ids=[elsewhere.pk]) == 0


def test_django_keeps_the_keys_to_and_from_subjects(subject):
    s, head = subject
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_constraint WHERE (conrelid = %s::regclass AND contype IN ('f', 'p', 'u')) "
                    "OR (confrelid = %s::regclass)", [TABLE, TABLE])
        assert cur.fetchone()[0] == 0
    assert subject_reveal(user=head, subject=s, fields=["religion"]) == {"religion": "佛教"}
    with pytest.raises(ProtectedError):   # the reveal log keeps the subject (PROTECT, by Django)
        s.delete()
    with pytest.raises(ProtectedError):   # and a subject keeps its address
        Address.objects.get(pk=s.address_id).delete()
    assert RevealLog.objects.filter(subject=s).count() == 1


def test_an_aggregate_over_subjects_groups_by_every_selected_column(subject):
    """A partitioned table has no primary key, so PostgreSQL refuses GROUP BY id alone with the
    other columns selected; geogrid's backend (layers/core/postgis) groups by all of them."""
    from django.db.models import Count

    s, _head = subject
    rows = list(Subject.objects.annotate(visit_count=Count("visits")).filter(pk=s.pk))
    assert [(r.name, r.visit_count) for r in rows] == [("分区对象乙", 1)]
    assert not connection.features.allows_group_by_selected_pks_on_model(Subject)
    assert not connection.features.allows_group_by_selected_pks_on_model(Address)
    assert connection.features.allows_group_by_selected_pks_on_model(Grid)
