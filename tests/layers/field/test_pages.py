"""The field pages through Django's test client against real PostGIS: navigation by role, the
queue's contents and order, the incident page's actions and scope, a stale action refused."""
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from layers.incidents.models import Status
from layers.incidents.services import incident_create, incident_escalate, incident_transition
from layers.incidents.taxonomy import taxonomy_ensure

GRID_A = "310106013001001"
GRID_B = "310106013001002"
COMMUNITY = "310106013001"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def case(demo_grids):
    taxonomy_ensure()

    def make(code=GRID_A, **kw):
        p = demo_grids[code].geometry.point_on_surface
        return incident_create(lon=p.x, lat=p.y, description=kw.pop("description", "楼道堆物"), type=kw.pop("type", "CA01"), **kw)
    return make


def nav_urls(response) -> list[str]:
    return [i["url"] for i in response.context["nav_items"]]


def test_navigation_shows_each_role_only_its_pages(demo_grids, make_user):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    planner = make_user("p", "planner", demo_grids[COMMUNITY])
    leader = make_user("l", "street_leader", demo_grids["310106013000"])
    r = client_for(head).get("/queue/")
    assert nav_urls(r) == ["/queue/", "/maps/grid/", "/incidents/", "/report/", "/visits/", "/meetings/", "/ledgers/"]
    assert nav_urls(client_for(planner).get("/planner/")) == ["/maps/coverage/", "/planner/"]
    leader_urls = nav_urls(client_for(leader).get("/maps/coverage/"))
    assert {"/maps/coverage/", "/maps/hotspots/", "/maps/special/"} <= set(leader_urls)
    assert not set(leader_urls) & {"/queue/", "/report/", "/visits/", "/planner/", "/admin/"}
    # Roles as words in the bar, never codes.
    body = r.content.decode()
    assert "网格长" in body and "grid_head" not in body.split("<main>")[0]


def test_home_of_field_staff_is_the_queue_and_others_keep_the_page_list(demo_grids, make_user):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    planner = make_user("p", "planner", demo_grids[COMMUNITY])
    assert client_for(head).get("/")["Location"] == "/queue/"
    assert client_for(planner).get("/").status_code == 200


def test_queue_lists_what_waits_for_me_most_urgent_first_with_the_count(demo_grids, make_user, case):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    later = case(description="later")
    overdue = case(description="overdue", reported_at=timezone.now() - dt.timedelta(days=3))
    done = case(description="done")
    for to in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        incident_transition(incident=done, user=head, to=to)
    case(code=GRID_B, description="neighbour")
    r = client_for(head).get("/queue/")
    ids = [it.incident.pk for it in r.context["items"]]
    assert ids == [overdue.pk, later.pk]
    assert r.context["count"] == 2 and r.context["queue_count"] == 2
    assert [it.reason for it in r.context["items"]] == ["overdue", "near"]


def test_escalated_case_reaches_the_station_chief_queue_first_with_its_response(demo_grids, make_user, case):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    chief = make_user("c", "station_chief", demo_grids[COMMUNITY])
    plain = case(code=GRID_B, description="plain")
    hot = case(description="hot")
    incident_escalate(incident=hot, user=head, note="需社区协调")
    r = client_for(chief).get("/queue/")
    assert [it.incident.pk for it in r.context["items"]][:2] == [hot.pk, plain.pk]
    assert r.context["items"][0].reason == "escalated"
    page = client_for(chief).get(f"/incidents/{hot.pk}/")
    assert page.context["response"]["action"] == "acknowledge"
    # The grid head who blew the whistle does not answer it.
    assert client_for(head).get(f"/incidents/{hot.pk}/").context["response"] is None


def test_incident_page_is_404_outside_scope_and_offers_only_allowed_actions(demo_grids, make_user, case):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    member = make_user("m", "grid_member", demo_grids[GRID_A])
    stranger = make_user("s", "grid_member", demo_grids[GRID_B])
    c = case()
    incident_transition(incident=c, user=head, to="accepted")
    incident_transition(incident=c, user=head, to="dispatched")
    incident_transition(incident=c, user=head, to="in_progress")
    incident_transition(incident=c, user=member, to="resolved", note="已处理")
    r = client_for(head).get(f"/incidents/{c.pk}/")
    assert r.status_code == 200
    assert [a["to"] for a in r.context["actions"]] == ["verified", "reopened"]
    # A member may not verify (a supervised step): only reopen is offered.
    assert [a["to"] for a in client_for(member).get(f"/incidents/{c.pk}/").context["actions"]] == ["reopened"]
    missing = client_for(stranger).get(f"/incidents/{c.pk}/")
    assert missing.status_code == 404
    assert "不在您负责的网格范围内" in missing.content.decode()


def test_stale_action_is_refused_with_409_and_a_reason(demo_grids, make_user, case):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    other = make_user("h2", "grid_head", demo_grids[GRID_A])
    c = case()
    incident_transition(incident=c, user=other, to="accepted")
    r = client_for(head).post(f"/api/incidents/{c.pk}/transition/", {"to": "accepted", "expect": "reported"},
                              content_type="application/json")
    assert r.status_code == 409
    assert r.json()["rule"] == "stale_status" and "已立案" in r.json()["detail"]
    c.refresh_from_db()
    assert c.status == Status.ACCEPTED and c.events.filter(kind="transition").count() == 1
    r = client_for(head).post(f"/api/incidents/{c.pk}/escalate/", {"note": "x", "expect_level": 1},
                              content_type="application/json")
    assert r.status_code == 409 and r.json()["rule"] == "stale_escalation"


def test_error_pages_are_geogrids_own_in_chinese(demo_grids, make_user):
    head = make_user("h", "grid_head", demo_grids[GRID_A])
    r = client_for(head).get("/no-such-page/")
    assert r.status_code == 404 and "未找到" in r.content.decode() and "返回首页" in r.content.decode()
    r = client_for(head).get("/planner/")
    assert r.status_code == 403 and "无权访问" in r.content.decode()
    assert client_for(head).get("/api/no-such/").json()["detail"]


def test_visits_page_shows_cadence_due_date_and_the_six_must_visits(demo_grids, make_user):
    from layers.addresses.services import address_create
    from layers.subjects.services import subject_create

    head = make_user("h", "grid_head", demo_grids[GRID_A])
    p = demo_grids[GRID_A].geometry.point_on_surface
    address = address_create(full_text="静安区走访测试路1号", lon=p.x, lat=p.y, households=1)
    s = subject_create(address=address, name="测试对象", category="religious_figure")
    r = client_for(head).get("/visits/?q=测试对象")
    row = r.context["rows"][0]
    assert row["subject"].pk == s.pk and row["cadence_days"] == 60 and row["can_record"]
    body = r.content.decode()
    assert [k for k, _ in r.context["six"]] == ["family_conflict", "illness", "death", "hardship", "festival",
                                                "important_event"]
    assert "六必访" in body and "每 60 天走访" in body


def test_visits_page_pages_through_every_subject_without_a_silent_cap(demo_grids, make_user):
    from layers.addresses.services import address_create
    from layers.subjects.services import subject_create

    head = make_user("h", "grid_head", demo_grids[GRID_A])
    p = demo_grids[GRID_A].geometry.point_on_surface
    address = address_create(full_text="静安区分页测试路1号", lon=p.x, lat=p.y, households=1)
    made = {subject_create(address=address, name=f"分页对象{i:03d}", category="other").pk for i in range(123)}
    c = client_for(head)
    first = c.get("/visits/")
    assert first.context["count"] == 123 and first.context["pages"] == 3
    seen, page = [], 1
    while True:
        r = c.get(f"/visits/?page={page}")
        assert r.status_code == 200
        seen += [row["subject"].pk for row in r.context["rows"]]
        if 'rel="next"' not in r.content.decode():
            break
        page += 1
    assert page == 3 and len(seen) == len(set(seen)) == 123 and set(seen) == made
    body = c.get("/visits/?page=3").content.decode()
    assert "第 3 / 3 页" in body and "显示第 101–123 位" in body
    # A page past the end shows the last one; a bad page number is a clear 400, not a 500.
    assert c.get("/visits/?page=99").context["page"] == 3
    assert c.get("/visits/?page=x").status_code == 400
    # The search reaches a subject that sits on the last page, and keeps the query in the links.
    found = c.get("/visits/?q=分页对象12")
    assert {row["subject"].name for row in found.context["rows"]} == {"分页对象120", "分页对象121", "分页对象122"}
