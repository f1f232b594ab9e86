"""Cases partitioned by district (layers/core/partitions.py, migration incidents/0008): a case lives
in its grid's district, a grid head's list and a case's page read only the scope's partitions
(EXPLAIN), a district gets its own partition without losing a case, a case moved across a
district line moves its row (its log stays where it was reported), the case number stays unique in
a partition, and Django keeps the keys the table no longer has."""
import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.http import Http404

from layers.core.partitions import partition_ensure, partitions_of
from layers.grids.services import grid_create
from layers.incidents.models import Incident, IncidentEvent
from layers.incidents.selectors import incident_get, incident_list
from layers.incidents.services import incident_create, incident_move
from layers.staff.models import Role
from tests.support import GRID_A, plan_of, rows_in

pytestmark = pytest.mark.django_db
TABLE = "incidents_incident"
DISTRICT = GRID_A[:6]
OTHER = "310999"


@pytest.fixture
def case(taxonomy, inside, demo_grids, make_user):
    head = make_user("case-part-head", Role.GRID_HEAD, demo_grids[GRID_A])
    lon, lat = inside(GRID_A)
    return incident_create(lon=lon, lat=lat, description="分区事件", type="CA01", user=head), head


@pytest.fixture
def elsewhere(db):
    """A micro-grid of another district, away from the demo street."""
    return grid_create(parent=None, level=4, name="外区网格", code=f"{OTHER}001001001",
                       geometry=Polygon.from_bbox((120, 30, 120.02, 30.01)), valid_from=dt.date(2025, 1, 1))


def test_a_case_lives_in_its_districts_partition_and_its_head_reads_only_that(case, client):
    incident, head = case
    assert incident.district_code == DISTRICT and rows_in(f"{TABLE}_default", f"id = {incident.pk}") == 1
    assert partition_ensure(TABLE, DISTRICT) is True
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "local"
    assert rows_in(f"{TABLE}_default") == 0 and rows_in(f"{TABLE}_{DISTRICT}", f"id = {incident.pk}") == 1
    partition_ensure(TABLE, OTHER)   # another district's partition, which the head's reads must not touch
    for qs in (incident_list(user=head), Incident.objects.filter(pk=incident.pk) & incident_list(user=head)):
        plan = plan_of(qs)
        assert f"{TABLE}_{DISTRICT}" in plan and f"{TABLE}_{OTHER}" not in plan and f"{TABLE}_default" not in plan, plan
    assert [i.pk for i in incident_list(user=head)] == [incident.pk]
    assert incident_get(user=head, pk=incident.pk).ref == incident.ref
    client.force_login(head)
    assert client.get(f"/api/incidents/{incident.pk}/").status_code == 200
    assert client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200
    # New cases go on into the district's partition, their case number made from the id.
    lon, lat = incident.geometry.x, incident.geometry.y
    again = incident_create(lon=lon, lat=lat, description="分区事件二", type="CA01", user=head)
    assert rows_in(f"{TABLE}_{DISTRICT}", f"id = {again.pk} AND ref = '{again.ref}'") == 1


def test_a_case_number_is_unique_within_a_partition(case):
    incident, head = case
    partition_ensure(TABLE, DISTRICT)
    lon, lat = incident.geometry.x, incident.geometry.y
    other = incident_create(lon=lon, lat=lat, description="重号", type="CA01", user=head)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=other.pk).update(ref=incident.ref)
    assert Incident.objects.filter(ref=incident.ref).count() == 1


def test_a_conversion_refuses_a_unique_index_it_would_not_keep(db):
    """convert_table keeps a UNIQUE field only as the per-partition indexes PARTITIONED lists;
    any other would vanish with the plain table, so it is refused before anything changes."""
    from layers.core.partitions import convert_table

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE guard_plain (id bigint PRIMARY KEY, code text UNIQUE, "
                    "district_code varchar(6) NOT NULL DEFAULT '000000')")
    with pytest.raises(ValueError, match="guard_plain_code_key"), connection.schema_editor() as editor:
        convert_table(editor, "guard_plain", "id bigint NOT NULL, code text, district_code varchar(6) NOT NULL")
    with connection.cursor() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE relname = 'guard_plain'")
        assert cur.fetchone()[0] == "r"
        cur.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'guard_plain_code_key'")
        assert cur.fetchone()[0] == 1


def test_a_case_moved_across_a_district_line_moves_its_row_and_its_readers(case, elsewhere, make_user):
    incident, head = case
    for district in (DISTRICT, OTHER):
        partition_ensure(TABLE, district)
        partition_ensure("incidents_incidentevent", district)
    logged = IncidentEvent.of(incident).count()
    incident_move(incident=incident, user=head, lon=120.01, lat=30.005)
    moved = Incident.objects.get(pk=incident.pk)
    assert moved.grid_id == elsewhere.pk and moved.district_code == OTHER and moved.log_district == DISTRICT
    assert rows_in(f"{TABLE}_{OTHER}", f"id = {incident.pk}") == 1 and rows_in(f"{TABLE}_{DISTRICT}") == 0
    # The log stays in the district the case was reported in, one entry longer.
    assert IncidentEvent.of(moved).count() == logged + 1 == rows_in(f"incidents_incidentevent_{DISTRICT}")
    # The other grid's head finds it in their own partition; the first head no longer does.
    there = make_user("case-part-there", Role.GRID_HEAD, elsewhere)
    assert [i.pk for i in incident_list(user=there)] == [incident.pk]
    assert incident_list(user=head).count() == 0
    with pytest.raises(Http404):
        incident_get(user=head, pk=incident.pk)
    # Moving back moves it back.
    incident_move(incident=moved, user=there, lon=incident.geometry.x, lat=incident.geometry.y)
    assert rows_in(f"{TABLE}_{DISTRICT}", f"id = {incident.pk}") == 1 and rows_in(f"{TABLE}_{OTHER}") == 0


def test_django_keeps_the_keys_to_and_from_cases(case, demo_grids):
    incident, _head = case
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_constraint WHERE (conrelid = %s::regclass AND contype IN ('f', 'p', 'u')) "
                    "OR confrelid = %s::regclass", [TABLE, TABLE])
        assert cur.fetchone()[0] == 0
    with pytest.raises(ProtectedError):   # its log keeps the case (PROTECT, by Django)
        incident.delete()
    with pytest.raises(ProtectedError):   # and the case keeps its grid
        demo_grids[GRID_A].delete()
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_partitions_ensure_gives_the_cases_their_districts(case):
    from django.core.management import call_command

    call_command("partitions_ensure", verbosity=0)
    assert partitions_of(TABLE) == {f"{TABLE}_{DISTRICT}": "local", f"{TABLE}_default": "default"}
    assert rows_in(f"{TABLE}_default") == 0 and rows_in(f"{TABLE}_{DISTRICT}") == 1
