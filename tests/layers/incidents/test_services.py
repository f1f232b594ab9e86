import datetime as dt
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from layers.core.errors import RuleViolation
from layers.incidents.models import Escalation, Incident, IncidentEvent, Status
from layers.incidents.services import (TRANSITIONS, escalation_respond, incident_create, incident_escalate,
                                       incident_move, incident_transition, rating_create)
from layers.incidents.selectors import incident_counts_by_grid, incident_list

from tests.support import COMMUNITY, GRID_A, GRID_B

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(make_user, demo_grids):
    return make_user("head-a", "grid_head", demo_grids[GRID_A])


@pytest.fixture
def new_incident(taxonomy, inside, clock):
    def make(**kw):
        lon, lat = inside(GRID_A)
        return incident_create(lon=lon, lat=lat, description="楼道堆物", type=kw.pop("type", "CA01"), **kw)
    return make


def force_status(incident, status):
    Incident.objects.filter(pk=incident.pk).update(status=status)
    incident.refresh_from_db()
    return incident


ALL_PAIRS = [(a, b) for a in Status.values for b in Status.values]
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def test_every_status_has_a_rule_and_the_happy_path_is_legal():
    assert set(TRANSITIONS) == set(Status.values)
    path = ["reported", "accepted", "dispatched", "in_progress", "resolved", "verified", "closed"]
    assert all(b in TRANSITIONS[a] for a, b in zip(path, path[1:]))


@pytest.mark.parametrize("frm,to", LEGAL)
def test_legal_transition_is_taken_and_logged(new_incident, head, frm, to):
    incident = force_status(new_incident(), frm)
    done = incident_transition(incident=incident, user=head, to=to, note="理由")
    assert done.status == to
    event = IncidentEvent.objects.filter(incident=incident, kind="transition").get()
    assert (event.from_status, event.to_status, event.actor, event.role) == (frm, to, head, "grid_head")


@pytest.mark.parametrize("frm,to", ILLEGAL)
def test_illegal_transition_is_refused_naming_it(new_incident, head, frm, to):
    incident = force_status(new_incident(), frm)
    with pytest.raises(RuleViolation) as err:
        incident_transition(incident=incident, user=head, to=to, note="理由")
    assert err.value.rule == "transition_illegal"
    assert f"{frm} -> {to}" in err.value.messages[0]
    assert Incident.objects.get(pk=incident.pk).status == frm
    assert not IncidentEvent.objects.filter(incident=incident, kind="transition").exists()


def test_api_walks_the_whole_path_and_refuses_a_skip(new_incident, head):
    incident = new_incident()
    api = APIClient()
    api.force_authenticate(head)
    r = api.post(f"/api/incidents/{incident.pk}/transition/", {"to": "closed"}, format="json")
    assert r.status_code == 400 and "reported -> closed" in r.json()["detail"]
    for to in ["accepted", "dispatched", "in_progress", "resolved", "verified", "closed"]:
        r = api.post(f"/api/incidents/{incident.pk}/transition/", {"to": to, "note": "ok"}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["status"] == to
    detail = api.get(f"/api/incidents/{incident.pk}/").json()
    assert [e["to"] for e in detail["events"] if e["kind"] == "transition"][-1] == "closed"
    assert detail["closed_at"]


def test_member_may_work_the_case_but_not_close_it(new_incident, make_user, demo_grids):
    member = make_user("member-a", "grid_member", demo_grids[GRID_A])
    incident = force_status(new_incident(), "verified")
    with pytest.raises(RuleViolation) as err:
        incident_transition(incident=incident, user=member, to="closed")
    assert err.value.rule == "transition_role"


def test_deadlines_follow_type_and_class_on_a_frozen_clock(new_incident, head, clock):
    t0 = clock.now
    general = new_incident(type="PF01")  # 1 h to accept, 24 h to handle
    assert general.deadline == t0 + dt.timedelta(hours=1)
    assert not general.overdue
    clock.advance(minutes=61)
    assert Incident.objects.get(pk=general.pk).overdue
    assert incident_list(user=head, overdue=True).filter(pk=general.pk).exists()
    accepted = incident_transition(incident=general, user=head, to="accepted")
    assert accepted.deadline == clock.now + dt.timedelta(hours=24) and not accepted.overdue
    coordination = new_incident(type="DS01", incident_class="coordination")  # 240 h x 2
    coordination = incident_transition(incident=coordination, user=head, to="accepted")
    assert coordination.deadline == clock.now + dt.timedelta(hours=480)
    emergency = new_incident(type="DS01", incident_class="emergency")
    assert emergency.deadline == clock.now + dt.timedelta(hours=1)
    # A resolved case stops the clock: it is not overdue, and it counts as on time.
    for to in ["dispatched", "in_progress", "resolved"]:
        accepted = incident_transition(incident=accepted, user=head, to=to)
    clock.advance(hours=100)
    assert not Incident.objects.get(pk=accepted.pk).overdue


def test_overdue_incidents_escalate_once_per_period(new_incident, head, clock):
    incident = new_incident(type="CA02")  # 4 h to accept
    out = io.StringIO()
    call_command("incidents_escalate_overdue", stdout=out)
    assert Incident.objects.get(pk=incident.pk).escalation_level == 0
    clock.advance(hours=5)
    call_command("incidents_escalate_overdue", stdout=out)
    call_command("incidents_escalate_overdue", stdout=out)
    incident.refresh_from_db()
    assert incident.escalation_level == 1
    assert Escalation.objects.filter(incident=incident).count() == 1
    esc = Escalation.objects.get(incident=incident)
    assert esc.automatic and esc.grid.code == COMMUNITY
    # The community had one accept period (4 h) to react: past it, one more level.
    clock.advance(hours=3)
    call_command("incidents_escalate_overdue", stdout=out)
    assert Incident.objects.get(pk=incident.pk).escalation_level == 1
    clock.advance(hours=2)
    call_command("incidents_escalate_overdue", stdout=out)
    call_command("incidents_escalate_overdue", stdout=out)
    assert Incident.objects.get(pk=incident.pk).escalation_level == 2
    assert "escalated 1 incident(s)" in out.getvalue()


RESPONDER_AT_LEVEL = {1: "station_chief", 2: "street_leader", 3: "district_leader"}


def _responder(make_user, incident, name):
    """A user who answers for the level the incident's latest escalation reached: the station
    chief or leader of that grid, or a handler of that department (assigned at the top grid)."""
    from layers.grids.models import Grid

    esc = Escalation.objects.filter(incident=incident).order_by("-escalated_at", "-id").first()
    top = Grid.objects.get(parent__isnull=True, kind="base", valid_to__isnull=True)
    if esc.department_id:
        user = make_user(name, "department_handler", top)
        esc.department.handlers.add(user)
        return user
    return make_user(name, RESPONDER_AT_LEVEL[esc.level], esc.grid or top)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_manual_escalation_path_with_acknowledge_act_feedback(new_incident, head, make_user, demo_grids):
    incident = new_incident(type="SH03")
    api = _api(head)
    for level in (1, 2, 3, 4):
        r = api.post(f"/api/incidents/{incident.pk}/escalate/", {"note": "网格无法解决"}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["escalation_level"] == level
        # The grid head who escalated does not answer for the level above.
        r = api.post(f"/api/incidents/{incident.pk}/escalation/", {"action": "acknowledge"}, format="json")
        assert r.status_code == 403 and r.json()["rule"] == "not_responder"
        there = _api(_responder(make_user, incident, f"responder-{level}"))
        r = there.post(f"/api/incidents/{incident.pk}/escalation/", {"action": "act"}, format="json")
        assert r.status_code == 400 and r.json()["rule"] == "response_order"
        for action in ("acknowledge", "act", "feedback"):
            r = there.post(f"/api/incidents/{incident.pk}/escalation/", {"action": action, "note": "已处理"},
                           format="json")
            assert r.status_code == 200, r.content
    r = api.post(f"/api/incidents/{incident.pk}/escalate/", {}, format="json")
    assert r.status_code == 400 and r.json()["rule"] == "escalation_top"
    path = r = api.get(f"/api/incidents/{incident.pk}/").json()["escalations"]
    assert [e["level"] for e in path] == [1, 2, 3, 4]
    assert path[0]["grid"]["code"] == COMMUNITY and path[1]["grid"]["code"] == "310106013000"
    assert path[3]["department"] == "区消防救援支队"
    assert all(e["acknowledged_at"] and e["acted_at"] and e["fed_back_at"] for e in path)
    kinds = [e["kind"] for e in api.get(f"/api/incidents/{incident.pk}/").json()["events"]]
    assert kinds.count("escalated") == 4 and kinds.count("fed_back") == 4


def test_only_the_handlers_of_the_department_answer_a_department_escalation(new_incident, head, make_user):
    """A case escalated to a functional department: a handler of another department, a handler
    named for no department, the grid head and a leader who all see the case are refused (403);
    the page offers them no response. A handler of that department answers it."""
    from django.test import Client

    from layers.grids.models import Grid
    from layers.incidents.models import Department

    incident = new_incident(type="SH03")
    for _level in (1, 2, 3, 4):
        incident_escalate(incident=Incident.objects.get(pk=incident.pk), user=head)
    esc = Escalation.objects.filter(incident=incident).order_by("-escalated_at", "-id").first()
    assert esc.department is not None and esc.level == 4
    top = Grid.objects.get(parent__isnull=True, kind="base", valid_to__isnull=True)
    other_dept = Department.objects.create(name="区绿化市容局", code="test-greening")
    outsider = make_user("other-dept", "department_handler", top)
    other_dept.handlers.add(outsider)
    unnamed = make_user("no-dept", "department_handler", top)
    leader = make_user("district-leader", "district_leader", top)
    ours = make_user("our-dept", "department_handler", top)
    esc.department.handlers.add(ours)
    for user in (outsider, unnamed, head, leader):
        r = _api(user).post(f"/api/incidents/{incident.pk}/escalation/", {"action": "acknowledge"}, format="json")
        assert r.status_code == 403 and r.json()["rule"] == "not_responder", user.username
        c = Client()
        c.force_login(user)
        page = c.get(f"/incidents/{incident.pk}/")
        assert page.status_code == 200 and page.context["response"] is None, user.username
    c = Client()
    c.force_login(ours)
    assert c.get(f"/incidents/{incident.pk}/").context["response"]["action"] == "acknowledge"
    for action in ("acknowledge", "act", "feedback"):
        r = _api(ours).post(f"/api/incidents/{incident.pk}/escalation/", {"action": action, "note": "已到场处置"},
                            format="json")
        assert r.status_code == 200, r.content
    esc.refresh_from_db()
    assert esc.fed_back_at is not None and esc.feedback == "已到场处置"


def test_escalation_respond_requires_order(new_incident, head, make_user):
    incident = new_incident()
    with pytest.raises(RuleViolation):
        escalation_respond(incident=incident, user=head, action="acknowledge")
    incident_escalate(incident=incident, user=head)
    chief = _responder(make_user, incident, "order-chief")
    escalation_respond(incident=incident, user=chief, action="acknowledge")
    with pytest.raises(RuleViolation) as err:
        escalation_respond(incident=incident, user=chief, action="acknowledge")
    assert err.value.rule == "response_done"


def test_moving_the_pin_reroutes_and_logs(new_incident, head, inside, demo_grids):
    incident = new_incident()
    lon, lat = inside(GRID_B)
    moved = incident_move(incident=incident, user=head, lon=lon, lat=lat, crs="wgs84", note="定位纠偏")
    assert moved.grid.code == GRID_B
    event = IncidentEvent.objects.get(incident=incident, kind="moved")
    assert event.data["from"]["grid"] == GRID_A and event.data["to"]["grid"] == GRID_B
    with pytest.raises(RuleViolation) as err:
        incident_move(incident=incident, user=head, lon=121.30, lat=31.10)
    assert err.value.rule == "outside_grids"


def test_rating_after_resolution_rolls_up_per_grid(new_incident, head, make_user, demo_grids, clock):
    reporter = make_user("resident-r")
    incident = new_incident(reporter=reporter)
    with pytest.raises(RuleViolation) as err:
        rating_create(incident=incident, user=reporter, score=5)
    assert err.value.rule == "rating_too_early"
    for to in ["accepted", "dispatched", "in_progress", "resolved"]:
        incident = incident_transition(incident=incident, user=head, to=to)
    api = APIClient()
    api.force_authenticate(reporter)  # out of every grid scope, but the reporter of the case
    assert api.post(f"/api/incidents/{incident.pk}/rating/", {"score": 9}, format="json").status_code == 400
    r = api.post(f"/api/incidents/{incident.pk}/rating/", {"score": 4, "note": "处理及时"}, format="json")
    assert r.status_code == 201
    assert api.post(f"/api/incidents/{incident.pk}/rating/", {"score": 5}, format="json").status_code == 400
    rating_create(incident=incident, user=make_user("resident-s"), score=2)
    for to in ["verified", "closed"]:
        incident = incident_transition(incident=incident, user=head, to=to)
    counts = incident_counts_by_grid(user=make_user("counts-admin", is_superuser=True),
                                     grid_ids=[demo_grids[GRID_A].pk, demo_grids[COMMUNITY].pk, demo_grids[GRID_B].pk])
    a = counts[demo_grids[GRID_A].pk]
    assert a["avg_rating"] == 3.0 and a["closed"] == 1 and a["closed_on_time"] == 1 and a["received"] == 1
    assert counts[demo_grids[COMMUNITY].pk]["avg_rating"] == 3.0
    assert counts[demo_grids[GRID_B].pk] == {"received": 0, "open": 0, "overdue": 0, "closed": 0,
                                             "closed_on_time": 0, "escalated": 0, "avg_rating": None}
