"""The least-privilege table (layers.staff.access): every URL pattern has a row, and every route
refuses the anonymous visitor, a role the table gives nothing and a user of another grid."""
import datetime as dt
import re

import pytest
from django.test import Client

from layers.addresses.services import address_create
from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure
from layers.plans.services import plan_create
from layers.staff.access import AUDIENCES, NONE, ROUTES, USER, Rule, rule_for
from layers.staff.models import Role
from layers.staff.scope import scope_for
from layers.subjects.services import subject_create, visit_create
from tests.urlwalk import methods as _methods, sample as _sample, walk

pytestmark = pytest.mark.django_db

HERE, THERE = "310106013001001", "310106013002001"          # micro-grids in two communities
HERE_AREA, THERE_AREA = "310106013001", "310106013002"
# Text only the other grid's records carry: it must never come back to a user of HERE.
MARKERS = ("越界对象乙", "越界事件乙", "越界方案乙", "13800009999")


def test_every_url_pattern_has_a_row_in_the_access_table():
    missing = []
    for name, route, _p in walk():
        if name is None:
            # Unnamed patterns are only allowed inside a namespace the table covers as a whole
            # (the admin's catch-all); anything else needs a name and a row.
            ns = route.split("/")[0]
            if f"{ns}:*" not in ROUTES:
                missing.append(route)
            continue
        if rule_for(name) is None:
            missing.append(name)
    assert not missing, f"routes with no row in layers/staff/access.py ROUTES: {missing}"


def test_every_row_names_a_route_that_exists():
    names = {name for name, _r, _p in walk() if name}
    stale = [k for k in ROUTES if not k.endswith(":*") and k.split(" ")[0] not in names]
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_row_answers_every_audience_with_a_known_level():
    for rule in ROUTES.values():
        assert isinstance(rule, Rule)
        for audience in AUDIENCES:
            assert rule.level(audience) in ("full", "masked", "aggregate", "none")


def test_leaders_and_planners_get_no_people_rows_and_field_roles_keep_theirs(make_user, demo_grids):
    street = demo_grids["310106013000"]
    people = ("subject-list", "subject-export", "subject-detail", "visit-list", "visit-due", "subjects")
    for role in (Role.STREET_LEADER, Role.COMMUNITY_LEADER, Role.DISTRICT_LEADER, Role.PLANNER):
        scope = scope_for(make_user(f"acc-{role}", role, street))
        assert [r for r in people if scope.access(r) != NONE] == [], role
        assert scope.access("coverage") == "aggregate"
    for role in (Role.GRID_MEMBER, Role.GRID_HEAD, Role.STATION_CHIEF):
        scope = scope_for(make_user(f"acc-{role}", role, demo_grids[HERE]))
        assert {scope.access(r) for r in people} == {"masked", "full"}, role


@pytest.fixture
def other_grid(demo_grids, make_user):
    """A subject, a visit, a case and a plan in THERE; their ids by URL keyword."""
    taxonomy_ensure()
    there = demo_grids[THERE]
    p = there.geometry.point_on_surface
    address = address_create(full_text="静安区越界路1号", lon=p.x, lat=p.y, households=3)
    subject = subject_create(address=address, name="越界对象乙", category="religious_figure", phone="13800009999")
    there_head = make_user("acc-there-head", Role.GRID_HEAD, there)
    visit_create(subject=subject, staff=there_head, date=dt.date(2026, 1, 5), notes="越界对象乙 的走访")
    incident = incident_create(lon=p.x, lat=p.y, description="越界事件乙", type="CA01")
    planner = make_user("acc-there-planner", Role.PLANNER, demo_grids[THERE_AREA])
    plan = plan_create(parent=demo_grids[THERE_AREA], user=planner, name="越界方案乙")
    by_route = {
        "subject": {"pk": subject.pk}, "incident": {"pk": incident.pk, "photo_pk": 1},
        "plan": {"pk": plan.pk, "gid": plan.grids.first().pk}, "grid": {"pk": there.pk},
        "staff": {"pk": there_head.pk},
    }
    return by_route


def _values(name: str, ids: dict) -> dict:
    base = (name or "").split(":")[-1].split("-")[0]
    return ids.get(base, {"*": 1})


def _call(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, "{}", content_type="application/json")


def _wrong_role(rule: Rule):
    """A role this row gives nothing, or None when every logged-in user may use the route (every
    logged-in user is also the `user` audience, so a row that gives `user` something has no wrong role)."""
    if rule.level(USER) != NONE:
        return None
    for audience in (*[str(r) for r in Role if r != Role.ADMIN], USER):
        if rule.level(audience) == NONE:
            return audience
    return None


def _allowed_role(rule: Rule):
    for audience in [str(r) for r in Role if r != Role.ADMIN]:
        if rule.level(audience) != NONE:
            return audience
    return None


def _assert_no_data(r, who: str, method: str, url: str):
    assert r.status_code < 500, f"{who} {method} {url}: {r.status_code}"
    body = b"".join(r) if r.streaming else r.content
    text = body.decode("utf-8", "replace")
    leaked = [m for m in MARKERS if m in text]
    assert not leaked, f"{who} {method} {url} answered {r.status_code} with {leaked}"


def test_every_route_refuses_anonymous_wrong_role_and_out_of_scope_users(demo_grids, make_user, other_grid):
    here, here_area = demo_grids[HERE], demo_grids[HERE_AREA]
    probed = 0
    for name, route, pattern in walk():
        route_name = name or route.split("/")[0] + ":*"
        if "(?P" in route or "^" in route:
            # Regex patterns (the admin site): probe its index and one model's list instead.
            url = "/admin/" if route in ("admin/", "admin/^$") else "/admin/staff/assignment/"
        else:
            url = _sample(route, _values(name, other_grid))
        for method in _methods(pattern):
            rule = rule_for(route_name, method)
            if rule.public:
                r = _call(Client(), method, url)
                assert r.status_code < 500, f"anonymous {method} {url}: {r.status_code}"
                continue
            # Anonymous: the login first (401/403 for the API, a redirect to the login for pages).
            r = _call(Client(), method, url)
            _assert_no_data(r, "anonymous", method, url)
            assert r.status_code in (401, 403, 302, 404, 405), f"anonymous {method} {url}: {r.status_code}"
            if r.status_code == 302:
                assert "login" in r["Location"], f"anonymous {method} {url} -> {r['Location']}"
            # A role the table gives nothing, in the grid that holds the record.
            wrong = _wrong_role(rule)
            if wrong is not None:
                c = Client()
                c.force_login(make_user(f"acc-w-{probed}-{method}", None if wrong == USER else wrong,
                                        demo_grids[THERE_AREA]))
                r = _call(c, method, url)
                _assert_no_data(r, f"role {wrong}", method, url)
                assert r.status_code in (302, 403, 405), f"role {wrong} {method} {url}: {r.status_code}"
            # A role the table does allow, but on another grid: 404 for the record, or a list
            # without it.
            allowed = _allowed_role(rule)
            if allowed is not None:
                grid = here_area if allowed in ("planner", "community_leader", "station_chief") else here
                if allowed in ("street_leader", "district_leader"):
                    grid = here_area  # no street-wide scope here: it would hold THERE too
                c = Client()
                c.force_login(make_user(f"acc-o-{probed}-{method}", allowed, grid))
                r = _call(c, method, url)
                _assert_no_data(r, f"out-of-scope {allowed}", method, url)
                if re.search(r"<(?:\w+:)?pk>", route) and rule.level(USER) == NONE:
                    assert r.status_code in (403, 404, 405), f"out-of-scope {allowed} {method} {url}: {r.status_code}"
            probed += 1
    assert probed > 40


def test_leaders_get_403_on_people_routes_and_their_coverage(client, make_user, demo_grids, other_grid):
    leader = make_user("acc-leader", Role.STREET_LEADER, demo_grids["310106013000"])
    client.force_login(leader)
    for url in ("/api/subjects/", "/api/subjects/export/", "/api/visits/", "/api/visits/due/", "/subjects/",
                f"/api/subjects/{other_grid['subject']['pk']}/"):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "越界对象乙" not in r.content.decode("utf-8", "replace")
    rows = client.get("/api/coverage/?level=4").json()
    there = next(r for r in rows if r["code"] == THERE)
    assert there["subjects_by_category"]["religious_figure"] == "<10"
