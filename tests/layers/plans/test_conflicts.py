"""A publish never overwrites a change made since its plan was made: any attribute of a grid it
touches (not only the boundary) makes it 409, and the draft is kept."""
import pytest
from rest_framework.test import APIClient

from layers.grids.models import Grid
from layers.grids.services import grid_update
from layers.plans.models import Plan
from layers.plans.services import PlanConflict, plan_create, plan_publish, plan_update_grid

pytestmark = pytest.mark.django_db
AREA = "310106013001"


def _first(plan):
    return plan.grids.order_by("source_grid_id").first()


def test_two_plans_renaming_one_grid_the_second_publish_is_409(demo_grids, make_user):
    parent = demo_grids[AREA]
    client = APIClient()
    client.force_authenticate(make_user("规划员", role="planner", grid=demo_grids["310106013000"]))
    a = client.post("/api/plans/", {"parent": parent.pk}, format="json").json()["plan"]["id"]
    b = client.post("/api/plans/", {"parent": parent.pk}, format="json").json()["plan"]["id"]
    ga, gb = _first(Plan.objects.get(pk=a)), _first(Plan.objects.get(pk=b))
    assert ga.source_grid_id == gb.source_grid_id
    assert client.patch(f"/api/plans/{a}/grids/{ga.pk}/", {"name": "甲方案名"}, format="json").status_code == 200
    assert client.patch(f"/api/plans/{b}/grids/{gb.pk}/", {"name": "乙方案名"}, format="json").status_code == 200
    assert client.post(f"/api/plans/{a}/publish/").status_code == 200
    r = client.post(f"/api/plans/{b}/publish/")
    assert r.status_code == 409 and r.json()["rule"] == "plan_conflict"
    assert Grid.objects.get(pk=ga.source_grid_id).name == "甲方案名"
    assert Plan.objects.get(pk=b).status == "draft"


@pytest.mark.parametrize("change", [{"name": "改名"}, {"use": "mixed"}, {"station": None}])
def test_any_attribute_changed_outside_the_plan_refuses_the_publish(demo_grids, change):
    parent = demo_grids[AREA]
    plan = plan_create(parent=parent)
    pg = _first(plan)
    plan_update_grid(plan=plan, grid=pg, name="规划里的名字")
    grid = Grid.objects.get(pk=pg.source_grid_id)
    if "station" in change and grid.station_id is None:
        pytest.skip("the demo grid has no station to remove")
    before = grid.version
    grid_update(grid=grid, **change)
    assert Grid.objects.get(pk=grid.pk).version == before  # not a boundary change: the version stays
    with pytest.raises(PlanConflict):
        plan_publish(plan=plan)
    assert Grid.objects.get(pk=grid.pk).name != "规划里的名字"


def test_drafts_with_the_old_fingerprint_still_publish(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    Plan.objects.filter(pk=plan.pk).update(base_fingerprint=[f[:2] for f in plan.base_fingerprint])
    plan.refresh_from_db()
    assert plan_publish(plan=plan)["plan"] == plan.pk
