"""The scope object: built with one query, kept on the user for the request, and the filters
every scoped selector uses."""
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from layers.grids.models import Grid
from layers.staff.models import FIELD_ROLES, Role
from layers.staff.scope import scope_for, scope_forget

from tests.support import COMMUNITY, GRID_A, GRID_B, STREET_CODE

pytestmark = pytest.mark.django_db


def test_one_query_per_user_then_kept_until_forgotten(demo_grids, make_user):
    head = make_user("sc-head", Role.GRID_HEAD, demo_grids[GRID_A])
    with CaptureQueriesContext(connection) as first:
        scope = scope_for(head)
    with CaptureQueriesContext(connection) as again:
        assert scope_for(head) is scope
    assert len(first.captured_queries) == 1 and len(again.captured_queries) == 0
    scope_forget(head)
    assert scope_for(head) is not scope


def test_a_grid_head_holds_their_grid_and_nothing_beside_it(demo_grids, make_user):
    scope = scope_for(make_user("sc-head2", Role.GRID_HEAD, demo_grids[GRID_A]))
    assert scope.holds(demo_grids[GRID_A]) and not scope.holds(demo_grids[GRID_B])
    assert not scope.holds(demo_grids[COMMUNITY])
    assert scope.grid_ids == (demo_grids[GRID_A].pk,)
    assert list(scope.grids().values_list("code", flat=True)) == [GRID_A]
    assert scope.is_field and scope.acts_as(*FIELD_ROLES) and not scope.is_leader and not scope.is_admin
    assert scope.sees_small_counts


def test_a_leader_holds_the_subtree_but_does_not_act_as_field_staff(demo_grids, make_user):
    scope = scope_for(make_user("sc-leader", Role.STREET_LEADER, demo_grids[STREET_CODE]))
    assert scope.holds(demo_grids[GRID_A]) and scope.holds(demo_grids[GRID_B]) and scope.holds(demo_grids[COMMUNITY])
    assert scope.is_leader and not scope.acts_as(*FIELD_ROLES) and not scope.sees_small_counts
    # Through field roles only, the leader holds nothing.
    assert not scope.holds(demo_grids[GRID_A], roles=FIELD_ROLES)


def test_administrator_sees_everything_but_reveals_nothing_without_a_field_role(demo_grids, make_user):
    scope = scope_for(make_user("sc-admin", is_superuser=True))
    assert scope.is_admin and scope.q("grid") == Q()  # no filter at all
    assert scope.holds(demo_grids[GRID_B])
    assert not scope.acts_as(*FIELD_ROLES)
    assert Grid.objects.filter(scope.q("")).exists()
    assert not Grid.objects.filter(scope.q("", roles=FIELD_ROLES)).exists()


def test_anonymous_and_unassigned_users_hold_nothing(demo_grids, make_user):
    for user in (AnonymousUser(), None, make_user("sc-nobody")):
        scope = scope_for(user)
        assert not scope.holds(demo_grids[GRID_A]) and not scope.is_admin and not scope.roles
        assert not scope.grids().exists()
