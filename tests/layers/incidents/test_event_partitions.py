"""The incident log partitioned by district (layers/core/partitions.py, migration incidents/0007):
a case's log lives in the district it was reported in (`log_district`), lands and is read there
(EXPLAIN), a district gets its own partition without losing a row while the log stays append-only,
a case moved into another district keeps its log where it was, and Django keeps the keys the table
no longer has. The cases themselves: test_incident_partitions.py."""
import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from layers.core.partitions import partition_ensure, partitions_of
from layers.grids.services import grid_create
from layers.incidents.models import Incident, IncidentEvent
from layers.incidents.services import incident_create, incident_move, incident_transition
from layers.staff.models import Role
from tests.support import GRID_A, plan_of, rows_in

pytestmark = pytest.mark.django_db
TABLE = "incidents_incidentevent"
DISTRICT = GRID_A[:6]


@pytest.fixture
def case(taxonomy, inside, demo_grids, make_user):
    head = make_user("event-part-head", Role.GRID_HEAD, demo_grids[GRID_A])
    lon, lat = inside(GRID_A)
    incident = incident_create(lon=lon, lat=lat, description="分区日志", type="CA01", user=head)
    incident = incident_transition(incident=incident, user=head, to="accepted")
    return incident, head


def refused(statement: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    except DatabaseError as err:
        return "append-only" in str(err)
    return False


def test_a_cases_log_lives_and_is_read_in_its_districts_partition(case, client):
    incident, head = case
    assert incident.district_code == incident.log_district == DISTRICT
    logged = rows_in(TABLE, f"incident_id = {incident.pk}")
    assert logged >= 2 and rows_in(f"{TABLE}_default") == logged
    # The district gets a partition of its own: the rows move, the log stays append-only.
    assert partition_ensure(TABLE, DISTRICT) is True
    assert partitions_of(TABLE)[f"{TABLE}_{DISTRICT}"] == "local"
    assert rows_in(f"{TABLE}_default") == 0 and rows_in(f"{TABLE}_{DISTRICT}") == logged
    for part in (TABLE, f"{TABLE}_{DISTRICT}"):
        assert refused(f"UPDATE {part} SET note = 'rewritten' WHERE incident_id = {incident.pk}")
        assert refused(f"DELETE FROM {part} WHERE incident_id = {incident.pk}")
    assert rows_in(TABLE, f"incident_id = {incident.pk}") == logged
    # One case's log is read from its district's partition only, through every reader.
    plan = plan_of(IncidentEvent.of(incident))
    assert f"{TABLE}_{DISTRICT}" in plan and f"{TABLE}_default" not in plan, plan
    client.force_login(head)
    detail = client.get(f"/api/incidents/{incident.pk}/")
    assert detail.status_code == 200 and [e["kind"] for e in detail.json()["events"]][:2] == ["created", "transition"]
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    # New entries go on into the district's partition.
    incident_transition(incident=incident, user=head, to="dispatched")
    assert rows_in(f"{TABLE}_{DISTRICT}") == logged + 1 and IncidentEvent.of(incident).count() == logged + 1


def test_a_case_moved_into_another_district_keeps_its_log_where_it_was_reported(case):
    incident, head = case
    partition_ensure(TABLE, DISTRICT)
    elsewhere = grid_create(parent=None, level=4, name="外区网格", code="310999001001001",
                            geometry=Polygon.from_bbox((120, 30, 120.02, 30.01)), valid_from=dt.date(2025, 1, 1))
    assert elsewhere.pk
    incident_move(incident=incident, user=head, lon=120.01, lat=30.005)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.grid_id == elsewhere.pk and incident.district_code == "310999" and incident.log_district == DISTRICT
    assert IncidentEvent.of(incident).count() == rows_in(TABLE, f"incident_id = {incident.pk}") >= 3
    assert rows_in(f"{TABLE}_default") == 0


def test_django_keeps_the_keys_the_partitioned_log_does_not_have(case):
    incident, _head = case
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('f', 'p', 'u')",
                    [TABLE])
        assert cur.fetchone()[0] == 0
    with pytest.raises(ProtectedError):   # PROTECT, by Django: a case with a log is never deleted
        incident.delete()
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_partitions_ensure_gives_the_log_its_districts(case):
    from django.core.management import call_command

    call_command("partitions_ensure", verbosity=0)
    assert partitions_of(TABLE) == {f"{TABLE}_{DISTRICT}": "local", f"{TABLE}_default": "default"}
    assert rows_in(f"{TABLE}_default") == 0 and rows_in(f"{TABLE}_{DISTRICT}") >= 2
