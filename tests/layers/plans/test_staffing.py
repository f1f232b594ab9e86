"""Staff follow the boundaries: the impact preview lists the people on grids a plan retires or
changes, publishing applies a decision for each (defaults: a split grid's head keeps both halves,
a merged grid keeps the heads of its parts), and no grid is left headless unseen."""
import pytest

from layers.core.errors import RuleViolation
from layers.plans.services import plan_create, plan_impact, plan_merge, plan_publish, plan_split
from layers.staff.models import Assignment, AssignmentChange, Role, StaffingTask

from tests.support import AREA, crossing_line, shp

pytestmark = pytest.mark.django_db


def _heads(grid_ids):
    return set(Assignment.objects.filter(grid_id__in=grid_ids, role=Role.GRID_HEAD, active=True)
               .values_list("user__username", "grid_id"))


def _adjacent(plan):
    pgs = list(plan.grids.order_by("pk"))
    shapes = {p.pk: shp(p.geometry) for p in pgs}
    return next((a, b) for a in pgs for b in pgs
                if a.pk < b.pk and shapes[a.pk].boundary.intersection(shapes[b.pk].buffer(1e-9)).length > 1e-5)


def test_split_grid_head_is_listed_and_keeps_both_halves(demo_grids, make_user, client):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.order_by("pk").first()
    old = pg.source_grid
    head = make_user("split-head", Role.GRID_HEAD, old)
    member = make_user("split-member", Role.GRID_MEMBER, old)
    halves = plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg, short_m=2.0))
    half_ids = sorted(h.pk for h in halves)
    impact = plan_impact(plan=plan)
    listed = {a["name"]: a for a in impact["assignments"]}
    assert set(listed) >= {"split-head", "split-member"}
    assert listed["split-head"]["grid"]["code"] == old.code and listed["split-head"]["grid_change"] == "retired"
    assert listed["split-head"]["default"] == {"action": "moved", "to": half_ids}
    assert not {g["id"] for g in impact["without_head"]} & set(half_ids)  # the head covers both halves

    result = plan_publish(plan=plan)
    new_ids = [g["id"] for g in result["created"]]
    assert {(u, g) for u, g in _heads(new_ids)} == {("split-head", g) for g in new_ids}
    assert not Assignment.objects.get(user=head, grid=old).active
    change = AssignmentChange.objects.get(user=head)
    assert change.from_grid == old and change.action == "moved"
    assert sorted(change.to_grids.values_list("pk", flat=True)) == sorted(new_ids)
    assert not {g["id"] for g in result["without_head"]} & set(new_ids)
    # The former head sees their new grids on "my grid", not a 404.
    client.force_login(head)
    r = client.get("/maps/grid/")
    assert r.status_code == 200
    assert Assignment.objects.filter(user=member, grid_id__in=new_ids, active=True).count() == 2


def test_merged_grid_keeps_the_heads_of_its_parts(demo_grids, make_user):
    plan = plan_create(parent=demo_grids[AREA])
    a, b = _adjacent(plan)
    make_user("merge-head-a", Role.GRID_HEAD, a.source_grid)
    make_user("merge-head-b", Role.GRID_HEAD, b.source_grid)
    merged = plan_merge(plan=plan, grids=[a.pk, b.pk])
    impact = plan_impact(plan=plan)
    defaults = {x["name"]: x["default"] for x in impact["assignments"] if x["name"].startswith("merge-head")}
    assert defaults == {"merge-head-a": {"action": "moved", "to": [merged.pk]},
                        "merge-head-b": {"action": "moved", "to": [merged.pk]}}
    result = plan_publish(plan=plan)
    (created,) = result["created"]
    assert {u for u, _g in _heads([created["id"]])} == {"merge-head-a", "merge-head-b"}


def test_ending_the_only_head_leaves_a_visible_flag_and_a_task(demo_grids, make_user, client):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.order_by("pk").first()
    old = pg.source_grid
    head = make_user("ending-head", Role.GRID_HEAD, old)
    plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg, short_m=2.0))
    aid = next(a["assignment"] for a in plan_impact(plan=plan)["assignments"] if a["name"] == "ending-head")
    result = plan_publish(plan=plan, assignments={str(aid): {"action": "ended"}})
    new_codes = sorted(g["code"] for g in result["created"])
    assert set(new_codes) <= {g["code"] for g in result["without_head"]}
    tasks = StaffingTask.objects.filter(grid__code__in=new_codes, done_at__isnull=True)
    assert tasks.count() == 2
    # Flagged where leaders look: the overview of the level.
    from layers.overview.selectors import overview_list
    from layers.staff.scope import SYSTEM

    flagged = {r["grid"]["code"] for r in overview_list(user=SYSTEM, level=plan.level) if "no_head" in r["flags"]}
    assert set(new_codes) <= flagged
    # The person whose grid was retired is told why, not given a 404.
    client.force_login(head)
    r = client.get("/maps/grid/changes/")
    assert r.status_code == 200
    html = r.content.decode()
    assert old.code in html and f"方案 {plan.pk}" in html
    # Assigning a head closes the task.
    from layers.staff.services import assignment_set

    assignment_set(user=head, role=Role.GRID_HEAD, grid=tasks.first().grid)
    assert StaffingTask.objects.filter(grid__code__in=new_codes, done_at__isnull=True).count() == 1


def test_bad_decisions_are_refused_and_nothing_is_published(demo_grids, make_user):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.order_by("pk").first()
    make_user("bad-head", Role.GRID_HEAD, pg.source_grid)
    plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg, short_m=2.0))
    aid = next(a["assignment"] for a in plan_impact(plan=plan)["assignments"] if a["name"] == "bad-head")
    other = Assignment.objects.exclude(pk=aid).first()
    for bad in ({str(aid): {"action": "kept"}}, {str(aid): {"action": "moved", "to": []}},
                {str(aid): {"action": "moved", "to": [999999999]}}, {str(aid): "x"}, {"x": {"action": "ended"}},
                {str(other.pk): {"action": "ended"}} if other else {"0": {"action": "ended"}}, ["list"]):
        with pytest.raises(RuleViolation):
            plan_publish(plan=plan, assignments=bad)
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_grids_with_children_of_their_own_are_not_counted_headless(demo_grids):
    """Heads serve micro-grids: a plan over the street's residential areas (each answered for by
    its station chief) lists none of them as left without a head."""
    plan = plan_create(parent=demo_grids["310106013000"])
    assert plan_impact(plan=plan)["without_head"] == []
