"""A head of one micro-grid sees nothing of a neighbour's incidents, on any route."""
import csv
import io

import pytest
from rest_framework.test import APIClient

from layers.incidents.services import incident_create

from tests.support import COMMUNITY, GRID_A, GRID_B

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_grids(taxonomy, inside, make_user, demo_grids):
    mine = [incident_create(lon=inside(GRID_A)[0], lat=inside(GRID_A)[1], description=f"甲{i}", type="CA01")
            for i in range(2)]
    theirs = incident_create(lon=inside(GRID_B)[0], lat=inside(GRID_B)[1], description="乙的事", type="CA01")
    api = APIClient()
    api.force_authenticate(make_user("head-a", "grid_head", demo_grids[GRID_A]))
    return api, mine, theirs


def test_neighbours_are_adjacent(demo_grids):
    assert demo_grids[GRID_A].geometry.touches(demo_grids[GRID_B].geometry)


def test_list_and_detail_hide_the_neighbours_incident(two_grids):
    api, mine, theirs = two_grids
    listed = api.get("/api/incidents/").json()
    assert {r["id"] for r in listed["results"]} == {i.pk for i in mine}
    assert api.get(f"/api/incidents/{mine[0].pk}/").status_code == 200
    for route in ("", "transition/", "move/", "escalate/", "escalation/", "rating/"):
        method = api.get if route == "" else api.post
        assert method(f"/api/incidents/{theirs.pk}/{route}", {}, format="json").status_code == 404, route
    assert api.get(f"/api/incidents/?grid={theirs.grid_id}").json()["count"] == 0


def test_geojson_export_and_stats_hide_the_neighbour(two_grids, demo_grids):
    api, mine, theirs = two_grids
    features = api.get("/api/incidents/geojson/").json()["features"]
    assert {f["id"] for f in features} == {i.pk for i in mine}
    r = api.get("/api/incidents/export/?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {int(row["id"]) for row in rows} == {i.pk for i in mine}
    assert "乙的事" not in r.content.decode("utf-8-sig")
    stats = api.get("/api/incidents/stats/?level=4").json()["grids"]
    assert [g["code"] for g in stats] == [GRID_A] and stats[0]["received"] == 2
    assert api.get("/api/incidents/stats/?level=3").json()["grids"] == []


def test_community_leader_sees_both(two_grids, make_user, demo_grids):
    _api, mine, theirs = two_grids
    api = APIClient()
    api.force_authenticate(make_user("leader-c", "community_leader", demo_grids[COMMUNITY]))
    assert api.get("/api/incidents/").json()["count"] == 3
    stats = {g["code"]: g for g in api.get("/api/incidents/stats/?level=3").json()["grids"]}
    assert stats[COMMUNITY]["received"] == 3 and stats[COMMUNITY]["open"] == 3


def test_user_without_grid_sees_nothing(two_grids, make_user):
    api = APIClient()
    api.force_authenticate(make_user("nobody"))
    # No role: the least-privilege table gives no case list at all (layers.staff.access).
    assert api.get("/api/incidents/").status_code == 403
    assert api.get("/api/incidents/geojson/").status_code == 403


def test_anonymous_is_refused(two_grids):
    assert APIClient().get("/api/incidents/").status_code in (401, 403)


def test_filters_and_bad_filters(two_grids):
    api, mine, theirs = two_grids
    assert api.get("/api/incidents/?status=reported&class=general&type=CA").json()["count"] == 2
    assert api.get("/api/incidents/?status=closed").json()["count"] == 0
    assert api.get("/api/incidents/?overdue=true").json()["count"] == 0
    assert api.get("/api/incidents/?since=2000-01-01&until=2000-02-01").json()["count"] == 0
    assert api.get("/api/incidents/?since=yesterday").status_code == 400
    assert api.get("/api/incidents/?overdue=maybe").status_code == 400
    assert api.get("/api/incidents/export/?format=xlsx").status_code in (400, 404)
