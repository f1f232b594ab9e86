"""Staff reads in the acting user's scope: assignments, own grids, scoped grid lists and the
special grids a user may see."""
import pytest

from layers.grids.models import GridKind
from layers.staff.models import Role
from layers.staff.selectors import (assignment_list, own_grid_list, scoped_base_levels, scoped_grid_list,
                                    special_grid_list)

from tests.support import COMMUNITY, GRID_A, GRID_B, STREET_CODE

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(demo_grids, make_user):
    return {"head_a": make_user("st-head-a", Role.GRID_HEAD, demo_grids[GRID_A]),
            "head_b": make_user("st-head-b", Role.GRID_HEAD, demo_grids[GRID_B]),
            "chief": make_user("st-chief", Role.STATION_CHIEF, demo_grids[COMMUNITY]),
            "leader": make_user("st-leader", Role.STREET_LEADER, demo_grids[STREET_CODE])}


def test_assignments_are_those_on_grids_in_scope(staff):
    seen = {a.user.username for a in assignment_list(user=staff["head_a"])}
    assert seen == {"st-head-a"}
    seen = {a.user.username for a in assignment_list(user=staff["chief"])}
    assert seen == {"st-head-a", "st-head-b", "st-chief"}
    assert {a.user.username for a in assignment_list(user=staff["leader"], grid_code=GRID_B)} == {"st-head-b"}
    assert {a.role for a in assignment_list(user=staff["leader"], role=Role.STATION_CHIEF)} == {Role.STATION_CHIEF}


def test_own_grids_prefer_field_roles(demo_grids, make_user):
    user = make_user("st-two-hats", Role.STREET_LEADER, demo_grids[STREET_CODE])
    from tests.factories import AssignmentFactory

    AssignmentFactory(user=user, role=Role.GRID_HEAD, grid=demo_grids[GRID_B])
    assert [g.code for g in own_grid_list(user=user)] == [GRID_B]
    assert own_grid_list(user=make_user("st-none")) == []


def test_scoped_grid_lists(staff, demo_grids):
    micro = set(scoped_grid_list(user=staff["chief"], micro_only=True).values_list("code", flat=True))
    assert {GRID_A, GRID_B} <= micro and all(c.startswith(COMMUNITY) for c in micro)
    assert set(scoped_grid_list(user=staff["head_a"]).values_list("code", flat=True)) == {GRID_A}
    assert scoped_base_levels(user=staff["leader"]) == [3, 4]
    assert scoped_base_levels(user=staff["head_a"]) == [4]
    assert list(scoped_grid_list(user=staff["leader"], kind=GridKind.BASE, level=2)) == [demo_grids[STREET_CODE]]
    assert not scoped_grid_list(user=staff["chief"], level=2).exists()


def test_special_grids_seen_are_those_under_or_over_the_users_grids(staff, demo_grids, make_user):
    district = next(g for g in demo_grids.values() if g.kind == "business_district")
    inside = next(g for g in demo_grids.values() if g.kind == "base" and g.level == 4
                  and g.geometry.relate_pattern(district.geometry, "T********"))
    outside = next(g for g in demo_grids.values() if g.kind == "base" and g.level == 4
                   and not g.geometry.intersects(district.geometry))
    everything = set(special_grid_list(user=make_user("st-admin", is_superuser=True)))
    assert district in everything and set(special_grid_list(user=staff["leader"])) == everything
    assert district in special_grid_list(user=make_user("st-in", Role.GRID_HEAD, inside))
    assert district not in special_grid_list(user=make_user("st-out", Role.GRID_HEAD, outside))
    assert not special_grid_list(user=make_user("st-nobody")).exists()
