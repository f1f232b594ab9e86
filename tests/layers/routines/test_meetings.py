"""Meetings: a station chief schedules a monthly meeting whose agenda is drafted from the
subtree's overdue incidents and last month's patrols, records decisions, turns one into an
incident through the intake, and finds it on the next meeting's agenda. Scoped like incidents."""
import pytest

from layers.incidents.models import Incident, IncidentEvent
from layers.routines.models import Decision

from tests.support import COMMUNITY, GRID_A, GRID_B, GRID_C

pytestmark = pytest.mark.django_db


def section(agenda, key):
    return [i for i in agenda if i["section"] == key]


def schedule(client, grid, date="2026-03-02", kind="monthly"):
    return client.post("/api/meetings/", {"grid": grid.pk, "kind": kind, "date": date}, content_type="application/json")


def test_station_chief_drafts_a_monthly_meeting_records_decisions_and_follows_up_the_incident(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    r = schedule(client, g[COMMUNITY])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["period"] == {"start": "2026-02-01", "end": "2026-02-28"}
    agenda = body["agenda"]
    overdue_ids = [i["id"] for i in section(agenda, "overdue_incidents")]
    assert w["overdue"].pk in overdue_ids
    assert w["elsewhere"].pk not in overdue_ids  # another community's case is not this station's
    assert w["closed"].pk not in overdue_ids
    patrol_ids = sorted(p for i in section(agenda, "patrols") for p in i["patrols"])
    assert patrol_ids == sorted([w["patrols"]["feb"].pk, w["patrols"]["feb_head"].pk])  # not January's
    member_item = next(i for i in section(agenda, "patrols") if i["member"] == w["users"]["member"].pk)
    assert member_item["count"] == 1 and member_item["hours"] == 2.0 and member_item["distance_km"] == 3.2
    assert {a["user"] for a in body["attendance"]} >= {w["users"]["head"].pk, w["users"]["member"].pk}
    meeting_id = body["id"]

    # Attendance, minutes, held.
    r = client.patch(f"/api/meetings/{meeting_id}/", {"present": [w["users"]["head"].pk], "minutes": "听取巡查汇报",
                                                       "held": True, "guests": ["居民代表"]},
                     content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["held"] is True
    assert [a["name"] for a in r.json()["attendance"] if a["present"]] == ["李网格长", "居民代表"]

    # Two decisions; the second becomes an incident through the intake.
    r1 = client.post(f"/api/meetings/{meeting_id}/decisions/", {"text": "加强夜间巡查"}, content_type="application/json")
    r2 = client.post(f"/api/meetings/{meeting_id}/decisions/", {"text": "清理3号楼楼道堆物"},
                     content_type="application/json")
    assert r1.status_code == 201 and r2.status_code == 201, (r1.content, r2.content)
    d2 = r2.json()["id"]
    before = Incident.objects.count()
    r = client.post(f"/api/meetings/{meeting_id}/decisions/{d2}/incident/", {"type": "CA01", "grid": g[GRID_A].pk},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    inc = r.json()["incident"]
    assert Incident.objects.count() == before + 1
    incident = Incident.objects.get(pk=inc["id"])
    assert incident.grid_id == g[GRID_A].pk and incident.description == "清理3号楼楼道堆物"
    assert incident.ref and IncidentEvent.objects.filter(incident=incident, kind="created").exists()
    # Taking it in twice is refused, nothing new stored.
    again = client.post(f"/api/meetings/{meeting_id}/decisions/{d2}/incident/", {"type": "CA01", "grid": g[GRID_A].pk},
                        content_type="application/json")
    assert again.status_code == 400 and Incident.objects.count() == before + 1

    # The next meeting follows both open decisions up, the incident-decision with its incident.
    r = schedule(client, g[COMMUNITY], date="2026-03-20", kind="ad_hoc")
    assert r.status_code == 201, r.content
    follow = section(r.json()["agenda"], "follow_up")
    assert {i["id"] for i in follow} == {r1.json()["id"], d2}
    assert next(i for i in follow if i["id"] == d2)["incident"] == incident.pk
    assert incident.ref in next(i for i in follow if i["id"] == d2)["text"]
    assert incident.pk in [i["id"] for i in section(r.json()["agenda"], "open_incidents")]


def test_a_task_has_an_owner_among_attendees_and_a_deadline_and_leaves_the_follow_up_once_done(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    mid = schedule(client, g[COMMUNITY]).json()["id"]
    bad = client.post(f"/api/meetings/{mid}/decisions/", {"text": "修补围墙", "kind": "task",
                                                           "owner": w["users"]["leader"].pk, "deadline": "2026-03-15"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["rule"] == "task_owner"
    assert not Decision.objects.filter(text="修补围墙").exists()  # the refused decision is not half stored
    r = client.post(f"/api/meetings/{mid}/decisions/", {"text": "修补围墙", "kind": "task",
                                                         "owner": w["users"]["head"].pk, "deadline": "2026-03-15"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["kind"] == "task" and task["owner"] == w["users"]["head"].pk and task["open"] is True
    client.force_login(w["users"]["head"])  # the owner reports it done
    r = client.post(f"/api/meetings/{mid}/decisions/{task['id']}/done/", {"note": "已修好"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["open"] is False
    client.force_login(w["users"]["chief"])
    nxt = schedule(client, g[COMMUNITY], date="2026-03-25", kind="ad_hoc").json()
    assert task["id"] not in [i["id"] for i in section(nxt["agenda"], "follow_up")]


def test_meetings_are_scoped_like_incidents(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    mid = schedule(client, g[COMMUNITY]).json()["id"]
    # Another community's chief: the meeting does not exist for them, nor may they schedule here.
    client.force_login(w["users"]["other_chief"])
    assert client.get(f"/api/meetings/{mid}/").status_code == 404
    assert client.post(f"/api/meetings/{mid}/decisions/", {"text": "x"}, content_type="application/json").status_code == 404
    assert schedule(client, g[COMMUNITY]).status_code == 404
    assert mid not in [m["id"] for m in client.get("/api/meetings/").json()["results"]]
    # A member of the subtree is in scope but does not organise.
    client.force_login(w["users"]["member"])
    r = schedule(client, g[GRID_A])
    assert r.status_code == 403 and r.json()["rule"] == "meeting_organiser"
    # The grid head organises for their own grid, not for the neighbour's.
    client.force_login(w["users"]["head"])
    assert schedule(client, g[GRID_A]).status_code == 201
    assert schedule(client, g[GRID_B]).status_code == 404
    # Leaders read counts in the ledger, never meeting rows.
    client.force_login(w["users"]["leader"])
    assert client.get("/api/meetings/").status_code == 403
    assert client.get(f"/api/meetings/{mid}/").status_code == 403


@pytest.mark.parametrize("body", [
    {}, {"grid": "x", "kind": "monthly", "date": "2026-03-02"}, {"grid": 1, "kind": "weekly", "date": "2026-03-02"},
    {"grid": 1, "kind": "monthly", "date": "2026-02-30"}, {"grid": 1, "kind": "monthly"},
    {"grid": 99999999999999999999, "kind": "monthly", "date": "2026-03-02"}, {"grid": 1, "kind": "monthly", "date": "2031-01-01"},
])
def test_bad_meeting_input_is_a_clear_400(routine_world, client, body):
    client.force_login(routine_world["users"]["chief"])
    if body.get("grid") == 1:
        body = {**body, "grid": routine_world["grids"][COMMUNITY].pk}
    r = client.post("/api/meetings/", body, content_type="application/json")
    assert r.status_code == 400, (body, r.status_code, r.content)
    assert r.json()["detail"]


def test_an_incident_decision_must_land_in_the_meetings_grids(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    mid = schedule(client, g[COMMUNITY]).json()["id"]
    before = Incident.objects.count()
    p = g[GRID_C].geometry.point_on_surface
    r = client.post(f"/api/meetings/{mid}/decisions/", {"text": "别处的事", "kind": "incident", "type": "CA01",
                                                         "lon": p.x, "lat": p.y}, content_type="application/json")
    assert r.status_code == 400 and r.json()["rule"] == "decision_place"
    assert Incident.objects.count() == before and not Decision.objects.filter(text="别处的事").exists()
    # A community meeting must say where (a community is not one place).
    r = client.post(f"/api/meetings/{mid}/decisions/", {"text": "某处", "kind": "incident", "type": "CA01"},
                    content_type="application/json")
    assert r.status_code == 400 and r.json()["rule"] == "decision_place"


@pytest.mark.parametrize("body", [{"present": [1, ""]}, {"present": "1"}, {"guests": "x"}, {"minutes": "a\x00b"},
                                  {"held": {"x": 1}}, ["minutes"]])
def test_bad_record_input_is_a_clear_400(routine_world, client, body):
    client.force_login(routine_world["users"]["chief"])
    mid = schedule(client, routine_world["grids"][COMMUNITY]).json()["id"]
    r = client.patch(f"/api/meetings/{mid}/", body, content_type="application/json")
    assert r.status_code == 400, (body, r.status_code, r.content)


def test_agenda_lists_the_periods_escalations_visits_due_and_coverage_flags(routine_world, client, clock):
    import datetime as dt

    from django.utils import timezone

    from layers.addresses.services import address_create
    from layers.incidents.services import incident_escalate
    from layers.subjects.services import subject_create

    w, g = routine_world, routine_world["grids"]
    back = clock.now
    clock.now = timezone.make_aware(dt.datetime(2026, 2, 20, 10))
    incident_escalate(incident=w["in_b"], user=w["users"]["chief"], note="需街道协调")
    clock.now = timezone.make_aware(dt.datetime(2025, 11, 1, 10))  # recorded long ago, never visited since
    p = g[GRID_B].geometry.point_on_surface
    addr = address_create(full_text="静安区测试路2弄2号", lon=p.x, lat=p.y, households=10)
    due = subject_create(address=addr, name="测试丙", category="religious_figure")
    clock.now = back
    client.force_login(w["users"]["chief"])
    agenda = schedule(client, g[COMMUNITY]).json()["agenda"]
    assert [i["id"] for i in section(agenda, "escalations")] == [w["in_b"].pk]
    item = next(i for i in section(agenda, "due_visits") if i["id"] == due.pk)
    assert item["overdue"] is True and "测试丙" in item["text"]
    flagged = {i["id"]: i["flags"] for i in section(agenda, "coverage_flags")}
    assert flagged and set(flagged) <= {gr.pk for gr in g.values() if gr.path.startswith(g[COMMUNITY].path)}
    # A grid head's meeting on grid A does not see grid B's escalation or subject.
    client.force_login(w["users"]["head"])
    agenda = schedule(client, g[GRID_A]).json()["agenda"]
    assert section(agenda, "escalations") == [] and due.pk not in [i.get("id") for i in section(agenda, "due_visits")]
