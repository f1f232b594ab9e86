import pytest
from rest_framework.test import APIClient

from layers.grids.models import Grid
from layers.plans.models import Plan

from tests.support import AREA, add_addresses, crossing_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(demo_grids, make_user):
    client = APIClient()
    client.force_authenticate(make_user("规划员", role="planner", grid=demo_grids["310106013000"]))
    return client


def test_plan_round_trip_split_impact_publish(planner, demo_grids):
    parent = demo_grids[AREA]
    add_addresses(parent, n=30)
    r = planner.post("/api/plans/", {"parent": parent.pk}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    pid = body["plan"]["id"]
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 4
    gid = body["features"][0]["id"]
    pg = Plan.objects.get(pk=pid).grids.get(pk=gid)
    r = planner.post(f"/api/plans/{pid}/split/", {"grid": gid, "line": crossing_line(pg, 2.0)}, format="json")
    assert r.status_code == 200, r.content
    assert len(r.json()["features"]) == 5
    assert planner.get(f"/api/plans/{pid}/validate/").json()["publishable"] is True
    impact = planner.get(f"/api/plans/{pid}/impact/").json()
    assert impact["retire"][0]["id"] == pg.source_grid_id
    r = planner.post(f"/api/plans/{pid}/undo/")
    assert len(r.json()["features"]) == 4
    r = planner.post(f"/api/plans/{pid}/redo/")
    assert len(r.json()["features"]) == 5
    r = planner.post(f"/api/plans/{pid}/publish/")
    assert r.status_code == 200, r.content
    assert len(r.json()["created"]) == 2
    assert Grid.objects.get(pk=pg.source_grid_id).valid_to is not None


def test_publish_conflict_is_409_and_bad_split_is_400(planner, demo_grids):
    parent = demo_grids[AREA]
    a = planner.post("/api/plans/", {"parent": parent.pk}, format="json").json()
    b = planner.post("/api/plans/", {"parent": parent.pk}, format="json").json()
    gid = a["features"][0]["id"]
    pg = Plan.objects.get(pk=a["plan"]["id"]).grids.get(pk=gid)
    planner.post(f"/api/plans/{a['plan']['id']}/split/", {"grid": gid, "line": crossing_line(pg)}, format="json")
    assert planner.post(f"/api/plans/{a['plan']['id']}/publish/").status_code == 200
    r = planner.post(f"/api/plans/{b['plan']['id']}/publish/")
    assert r.status_code == 409 and r.json()["rule"] == "plan_conflict"
    assert Plan.objects.get(pk=b["plan"]["id"]).status == "draft"
    r = planner.post(f"/api/plans/{b['plan']['id']}/split/", {"grid": b["features"][0]["id"], "line": "nope"},
                     format="json")
    assert r.status_code == 400 and r.json()["rule"] == "line_unreadable"
    r = planner.post(f"/api/plans/{b['plan']['id']}/merge/", {"grids": [b["features"][0]["id"]]}, format="json")
    assert r.status_code == 400


def test_non_planner_gets_403_and_out_of_scope_planner_404(demo_grids, make_user):
    parent = demo_grids[AREA]
    member = APIClient()
    member.force_authenticate(make_user("网格员", role="grid_member", grid=parent))
    assert member.post("/api/plans/", {"parent": parent.pk}, format="json").status_code == 403
    other = APIClient()
    other.force_authenticate(make_user("别处规划员", role="planner", grid=demo_grids["310106013002"]))
    assert other.post("/api/plans/", {"parent": parent.pk}, format="json").status_code == 404
    owner = APIClient()
    owner.force_authenticate(make_user("本处规划员", role="planner", grid=parent))
    pid = owner.post("/api/plans/", {"parent": parent.pk}, format="json").json()["plan"]["id"]
    assert other.get(f"/api/plans/{pid}/").status_code == 404


def test_autopartition_gives_every_child_in_band_or_an_explanation(planner, demo_grids):
    parent = demo_grids[AREA]
    add_addresses(parent, n=120, seed=7)  # 1-20 households each: ~1260 households
    pid = planner.post("/api/plans/", {"parent": parent.pk}, format="json").json()["plan"]["id"]
    r = planner.post(f"/api/plans/{pid}/autopartition/", {"target_households": 250}, format="json")
    assert r.status_code == 200, r.content
    report = r.json()["autopartition"]
    assert report["cells"] == len(r.json()["features"]) >= 4
    for g in report["grids"]:
        assert g["in_band"] or g["explanation"], g
        assert 0 < g["compactness"] <= 1
    assert sum(g["households"] for g in report["grids"]) == report["total_households"]
    errors = [p for p in r.json()["problems"] if p["severity"] == "error"]
    assert errors == []
    assert len(planner.post(f"/api/plans/{pid}/undo/").json()["features"]) == 4
