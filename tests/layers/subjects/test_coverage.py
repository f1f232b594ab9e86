import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.staff.scope import scope_for
from layers.subjects.selectors import coverage_list
from layers.subjects.services import subject_create, visit_create

from tests.support import COMMUNITY, G1, G2, G3

pytestmark = pytest.mark.django_db


def by_code(rows):
    return {r["code"]: r for r in rows}


def test_coverage_flags_grids_outside_the_household_band(world):
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["households"] == 600 and "households_above_band" in rows[G1]["flags"]
    assert rows[G2]["households"] == 250
    assert not {"households_above_band", "households_below_band"} & set(rows[G2]["flags"])
    assert "households_below_band" in rows[G3]["flags"]
    community = by_code(coverage_list(user=world["users"]["leader"], level=3))[COMMUNITY]
    assert community["households"] == 850 and community["addresses"] == 2
    assert "households_below_band" in community["flags"]


def test_coverage_counts_staff_subjects_and_flags_grids_without_staff(world):
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["staff"] == 1 and rows[G1]["households_per_staff"] == 600
    assert rows[G1]["subjects"] == "<10"
    no_staff = [r for r in rows.values() if r["staff"] == 0]
    assert no_staff and all("no_staff" in r["flags"] for r in no_staff)
    assert all("no_staff" not in rows[c]["flags"] for c in (G1, G2))
    # The community row counts its station chief and the staff of its micro-grids.
    community = by_code(coverage_list(user=world["users"]["leader"], level=3))[COMMUNITY]
    assert community["staff"] == 3 and community["subjects"] == "<10"  # totals are banded too


def test_small_category_counts_are_coarsened_above_the_grid_head(world):
    leader_rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert leader_rows[G1]["subjects_by_category"]["ethnic_minority"] == "<10"
    assert leader_rows[G1]["subjects_by_category"]["other"] == 0
    chief_rows = by_code(coverage_list(user=world["users"]["chief"], level=4))
    assert chief_rows[G2]["subjects_by_category"]["religious_figure"] == "<10"
    member_rows = by_code(coverage_list(user=world["users"]["member"], level=4))
    assert member_rows[G1]["subjects_by_category"]["ethnic_minority"] == 1
    assert member_rows[G1]["subjects"] == 1


def test_a_total_is_banded_like_its_categories(world):
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["subjects"] == "<10"  # only one ethnic-minority subject there
    subject_create(address=world["addr"][G1], name="另一类", category="other")
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["subjects"] == "<10"
    assert rows[G1]["subjects_by_category"]["other"] == "<10"
    # The member of that grid keeps the exact figures of their own scope.
    own = by_code(coverage_list(user=world["users"]["member"], level=4))
    assert own[G1]["subjects"] == 2 and own[G1]["subjects_by_category"]["other"] == 1


def test_ten_or_more_are_shown_in_bands_of_ten(world):
    for i in range(10):
        subject_create(address=world["addr"][G2], name=f"批量{i}", category="new_social_stratum")
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G2]["subjects_by_category"]["new_social_stratum"] == "10-19"
    assert rows[G2]["subjects"] == "10-19"  # 11 with the religious figure
    head = by_code(coverage_list(user=world["users"]["head2"], level=4))
    assert head[G2]["subjects_by_category"]["new_social_stratum"] == 10 and head[G2]["subjects"] == 11


def test_visited_within_cadence_is_the_share_of_subjects_seen_in_time(world):
    today = dt.date(2026, 6, 1)
    s1, s2 = world["s1"], world["s2"]
    member = world["users"]["member"]
    visit_create(subject=s1, staff=member, date=today - dt.timedelta(days=30))   # ethnic minority: 90 days
    visit_create(subject=s2, staff=member, date=today - dt.timedelta(days=70))   # religious figure: 60 days
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4, today=today))
    assert rows[G1]["visited_within_cadence"] == 1.0
    assert rows[G2]["visited_within_cadence"] == 0.0
    community = by_code(coverage_list(user=world["users"]["leader"], level=3, today=today))[COMMUNITY]
    assert community["visited_within_cadence"] == 0.5


def test_coverage_takes_a_constant_number_of_queries(world):
    leader = world["users"]["leader"]
    scope_for(leader)  # built once per request, before any selector runs
    with CaptureQueriesContext(connection) as few:
        coverage_list(user=leader, level=3)
    with CaptureQueriesContext(connection) as many:
        rows = coverage_list(user=leader, level=4)
    assert len(rows) > 30
    # 8 of coverage itself, and one per layer that adds figures (patrols: hours and distance).
    assert len(many.captured_queries) == len(few.captured_queries) <= 9


def test_coverage_api_needs_a_level(world, client_for):
    c = client_for(world["users"]["leader"])
    assert c.get("/api/coverage/").status_code == 400
    assert c.get("/api/coverage/?level=x").status_code == 400
    row = c.get("/api/coverage/?level=4").json()[0]
    for key in ("grid_id", "code", "name", "households", "addresses", "subjects", "subjects_by_category", "staff",
                "households_per_staff", "visited_within_cadence", "open_incidents", "overdue_incidents", "flags"):
        assert key in row


# --- Differencing: no "<10" cell a leader sees can be worked out from the other figures ----------

def _interval(shown) -> tuple[int, int]:
    """What a shown figure says about the true count: a number, or the range of its band."""
    if isinstance(shown, int):
        return shown, shown
    if shown == "<10":
        return 1, 9
    low, high = shown.split("-")
    return int(low), int(high)


def _narrowed(target, whole, parts) -> tuple[int, int]:
    """The target's range from `whole` minus the other `parts` (interval arithmetic), cut by
    what the target's own figure says."""
    w, t = _interval(whole), _interval(target)
    low = w[0] - sum(_interval(p)[1] for p in parts)
    high = w[1] - sum(_interval(p)[0] for p in parts)
    return max(low, t[0]), min(high, t[1])


def _attacks(rows_by_level: dict[int, list[dict]]):
    """Every subtraction a reader of the coverage rows can make, as (what, target, whole, parts):
    a row's total minus its other categories, and a parent's count (total or a category) minus
    its other children at the level below."""
    for rows in rows_by_level.values():
        for r in rows:
            cats = r["subjects_by_category"]
            for c, v in cats.items():
                yield f"{r['code']} {c}: total minus other categories", v, r["subjects"], [
                    x for k, x in cats.items() if k != c]
    for level, rows in rows_by_level.items():
        children = rows_by_level.get(level + 1, [])
        for parent in rows:
            kids = [k for k in children if k["parent_id"] == parent["grid_id"]]
            for key in ("subjects", *parent["subjects_by_category"]):
                def fig(r, key=key):
                    return r["subjects"] if key == "subjects" else r["subjects_by_category"][key]
                for kid in kids:
                    yield (f"{kid['code']} {key}: parent {parent['code']} minus siblings", fig(kid), fig(parent),
                           [fig(k) for k in kids if k is not kid])


def _exact_rows(rows_by_level):
    """The same rows with the true counts (what a leader must not be able to work out)."""
    from layers.grids.models import Grid
    from layers.subjects.models import Subject, SubjectCategory

    out = {}
    for level, rows in rows_by_level.items():
        out[level] = []
        for r in rows:
            path = Grid.objects.get(pk=r["grid_id"]).path
            cats = {c: Subject.objects.filter(grid__path__startswith=path, category=c).count()
                    for c in SubjectCategory.values}
            out[level].append({**r, "subjects": sum(cats.values()), "subjects_by_category": cats})
    return out


def test_no_small_count_can_be_recovered_by_differencing(world):
    """A leader sees a "<10" cell beside other figures: a row total and the other categories,
    the parent grid's figure and the sibling grids'. Subtracting them must never pin the small
    count down to one value. With exact figures beside the "<10" (as before), the same
    subtractions give it back: checked first, so the attack is a real one."""
    g1 = world["addr"][G1]
    g2 = world["addr"][G2]
    for i in range(12):  # G1: 1 ethnic minority + 12 others; G2: 1 religious figure + 11 ethnic minorities
        subject_create(address=g1, name=f"甲{i}", category="other")
    for i in range(11):
        subject_create(address=g2, name=f"乙{i}", category="ethnic_minority")
    leader = world["users"]["leader"]
    shown = {lv: coverage_list(user=leader, level=lv) for lv in (2, 3, 4)}
    exact = _exact_rows(shown)

    recovered = [what for what, target, whole, parts in _attacks(exact)
                 if 0 < _interval(target)[0] < 10 and _narrowed(target, whole, parts) == _interval(target)
                 and _interval(whole)[0] >= 10]
    assert any(f"{G1} ethnic_minority: total" in w for w in recovered)
    assert any(f"{G1} ethnic_minority: parent {COMMUNITY}" in w for w in recovered)

    checked = 0
    for what, target, whole, parts in _attacks(shown):
        if target != "<10":
            continue
        low, high = _narrowed(target, whole, parts)
        assert low < high, f"{what}: {target} narrowed to {low}..{high}"
        checked += 1
    assert checked >= 10
    # The figures still hold the truth: every true count lies in its shown band.
    for lv in shown:
        for s, e in zip(shown[lv], exact[lv]):
            for c, v in s["subjects_by_category"].items():
                low, high = _interval(v) if v != 0 else (0, 0)
                assert low <= e["subjects_by_category"][c] <= high


def test_a_share_shown_above_the_grid_head_does_not_name_a_small_total(world):
    """visited / total with a total of 7 would read 0.143 = 1/7 and name the "<10" total;
    shown in steps of 0.1 it fits several totals."""
    today = dt.date(2026, 6, 1)
    for i in range(6):
        subject_create(address=world["addr"][G1], name=f"丁{i}", category="other")
    visit_create(subject=world["s1"], staff=world["users"]["member"], date=today - dt.timedelta(days=5))
    row = by_code(coverage_list(user=world["users"]["leader"], level=4, today=today))[G1]
    assert row["subjects"] == "<10" and row["visited_within_cadence"] == 0.1
    totals = [n for n in range(1, 10) if any(round(v / n, 1) == 0.1 for v in range(n + 1))]
    assert len(totals) >= 2
    own = by_code(coverage_list(user=world["users"]["member"], level=4, today=today))[G1]
    assert own["visited_within_cadence"] == round(1 / 7, 3)


def test_a_planner_sees_the_subjects_a_draft_moves_in_bands(world, client_for, demo_grids):
    """Two drafts that differ by a few addresses would otherwise give the exact count of
    subjects there: the planner's impact carries the bands of coverage."""
    from layers.plans.services import plan_create, plan_impact, plan_split

    from tests.support import crossing_line

    community = demo_grids[COMMUNITY]
    plan = plan_create(parent=community)
    pg = plan.grids.get(source_grid__code=G1)
    for i in range(10):
        subject_create(address=world["addr"][G1], name=f"丙{i}", category="other")
    plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg))
    exact = plan_impact(plan=plan)
    seen = client_for(world["users"]["planner"]).get(f"/api/plans/{plan.pk}/impact/").json()
    def band(n):
        return 0 if n == 0 else "<10" if n < 10 else f"{n // 10 * 10}-{n // 10 * 10 + 9}"

    assert seen["moved"]["subjects"] == band(exact["moved"]["subjects"])
    assert [f["subjects"] for f in seen["flows"]] == [band(f["subjects"]) for f in exact["flows"]]
    assert max(f["subjects"] for f in exact["flows"]) >= 10  # a band of ten is there, not only "<10"
    assert "10-19" in [f["subjects"] for f in seen["flows"]] or "10-19" == seen["moved"]["subjects"]
