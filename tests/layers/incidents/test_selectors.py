"""Incident reads take the acting user: counts per grid, the rating lookup, map frames."""
import pytest
from django.http import Http404

from layers.incidents.selectors import (department_get, incident_counts_by_grid, incident_frame,
                                        incident_get_for_rating, incident_received_by_grid)
from layers.incidents.models import Department
from layers.incidents.services import incident_create

from tests.support import COMMUNITY, GRID_A, GRID_B

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(taxonomy, inside, make_user, demo_grids):
    reporter = make_user("sel-reporter")
    a = [incident_create(lon=inside(GRID_A)[0], lat=inside(GRID_A)[1], description=f"甲{i}", type="CA01",
                         reporter=reporter) for i in range(2)]
    b = incident_create(lon=inside(GRID_B)[0], lat=inside(GRID_B)[1], description="乙", type="CA01")
    return {"a": a, "b": b, "reporter": reporter,
            "head_a": make_user("sel-head-a", "grid_head", demo_grids[GRID_A]),
            "chief": make_user("sel-chief", "station_chief", demo_grids[COMMUNITY])}


def test_counts_leave_out_grids_beyond_the_scope(cases, demo_grids):
    ids = [demo_grids[GRID_A].pk, demo_grids[GRID_B].pk, demo_grids[COMMUNITY].pk]
    mine = incident_counts_by_grid(user=cases["head_a"], grid_ids=ids)
    assert set(mine) == {demo_grids[GRID_A].pk} and mine[demo_grids[GRID_A].pk]["received"] == 2
    chief = incident_counts_by_grid(user=cases["chief"], grid_ids=ids)
    assert chief[demo_grids[COMMUNITY].pk]["received"] == 3 and chief[demo_grids[GRID_B].pk]["received"] == 1
    received = incident_received_by_grid(user=cases["head_a"], grid_ids=ids)
    assert received == {demo_grids[GRID_A].pk: 2, demo_grids[GRID_B].pk: 0, demo_grids[COMMUNITY].pk: 0}


def test_a_reporter_may_rate_their_own_case_and_no_other(cases, make_user):
    assert incident_get_for_rating(user=cases["reporter"], pk=cases["a"][0].pk) == cases["a"][0]
    with pytest.raises(Http404):
        incident_get_for_rating(user=cases["reporter"], pk=cases["b"].pk)
    assert incident_get_for_rating(user=cases["chief"], pk=cases["b"].pk) == cases["b"]
    with pytest.raises(Http404):
        incident_get_for_rating(user=cases["head_a"], pk="x")


def test_incident_frame_is_scoped(cases):
    frame = incident_frame(user=cases["head_a"])
    assert sorted(frame["id"]) == sorted(i.pk for i in cases["a"])
    assert len(incident_frame(user=cases["chief"])) == 3
    assert incident_frame(user=cases["reporter"]).empty


def test_department_by_id_or_code(db):
    dep = Department.objects.create(code="TEST-DEP", name="测试部门")
    assert department_get(ref="TEST-DEP") == dep == department_get(ref=str(dep.pk))
    assert department_get(ref="nothing-like-it") is None
