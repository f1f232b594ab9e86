"""Every list route pages: walked with ?limit=1&offset=0 on the demo street, each answers one
row at most and says how many there are and where the next page is (no silent cap)."""
import json

import pytest
from django.test import Client

from layers.staff.access import rule_for
from tests.urlwalk import methods, walk

pytestmark = pytest.mark.django_db

# GET routes under api/ without path parameters that are not lists of records, with the reason.
NOT_LISTS = {
    "schema": "the OpenAPI document",
    "me": "the acting user",
    "service-card": "one grid's card",
    "overview": "one leader's summary",
    "incident-stats": "aggregates",
    "coverage": "one row of figures per grid of one level in scope (all of them, never cut)",
    "assessment-list": "one month's assessment per grid in scope (all of them, never cut)",
    "maps:api-hotspots": "one Gi* class per micro-grid in scope (all of them, never cut)",
    "address-locate": "a lookup",
    "public-address-search": "a search answering its best matches",
    "grid-export": "a file export (bounded, says so)",
    "subject-export": "a file export (bounded, says so)",
    "incident-export": "a file export (bounded, says so)",
    "incident-types": "the taxonomy",
    "plan-reference": "one parent's reference layers for the planner (its grids, neighbours, addresses)",
}


@pytest.fixture
def world(demo_grids, make_user):
    from layers.incidents import demo as incidents_demo
    from layers.staff import demo as staff_demo
    from layers.staff.services import token_create

    staff_demo.load()
    incidents_demo.load()
    admin = make_user("paging-admin", is_superuser=True)
    for i in range(3):
        token_create(user=admin, name=f"t{i}")
    return admin


def _check(url: str, r) -> int:
    """The number of rows the route holds, after checking the page it gave."""
    assert r.status_code == 200, (url, r.status_code, r.content[:200])
    body = json.loads(r.content)
    if r["Content-Type"].startswith("application/geo+json"):
        assert body["type"] == "FeatureCollection" and body.get("name"), url
        assert body["numberReturned"] == len(body["features"]) <= 1, url
        total = body["numberMatched"]
        if total > 1:
            assert any(link["rel"] == "next" for link in body["links"]), url
        return total
    if isinstance(body, list):
        assert len(body) <= 1, url
        total = int(r["X-Total-Count"])
        if total > 1:
            assert 'rel="next"' in r["Link"], url
        return total
    assert {"count", "limit", "offset", "results"} <= set(body), (url, sorted(body))
    assert len(body["results"]) <= 1 and body["limit"] == 1, url
    return body["count"]


def test_every_list_route_pages_with_limit_and_offset_and_says_how_many(world):
    c = Client()
    c.force_login(world)
    checked, many = [], []
    for name, route, pattern in walk():
        if not route.startswith("api/") or "<" in route or "GET" not in methods(pattern):
            continue
        if name in NOT_LISTS or rule_for(name or "", "GET") is None or rule_for(name, "GET").public:
            continue
        url = "/" + route
        total = _check(url, c.get(url, {"limit": 1, "offset": 0}))
        checked.append(url)
        if total > 1:
            many.append(url)
            # The next page holds another row (offset moves).
            second = c.get(url, {"limit": 1, "offset": 1})
            assert _check(url, second) == total
            assert second.content != c.get(url, {"limit": 1, "offset": 0}).content, url
    assert len(checked) >= 12, checked
    assert {"/api/incidents/", "/api/grids/", "/api/staff/", "/api/tokens/"} <= set(many), many
