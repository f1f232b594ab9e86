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


def test_the_grid_id_filter_selects_what_the_path_filter_selects(demo_grids, make_user, taxonomy, inside,
                                                                  monkeypatch):
    """q_grid_ids (the subtree's grid ids, one array parameter) and q (the path prefixes) select
    the same incidents for every kind of scope, also past the id list's limit (where it is q)."""
    from layers.incidents.models import Incident
    from layers.incidents.services import incident_create
    from layers.staff import scope as scope_module

    for code in (GRID_A, GRID_B, GRID_A):
        lon, lat = inside(code)
        incident_create(lon=lon, lat=lat, description=code, type="CA01")
    users = [make_user("gi-head", Role.GRID_HEAD, demo_grids[GRID_A]),
             make_user("gi-chief", Role.STATION_CHIEF, demo_grids[COMMUNITY]),
             make_user("gi-leader", Role.STREET_LEADER, demo_grids[STREET_CODE]),
             make_user("gi-nobody"), make_user("gi-admin", is_superuser=True)]
    expected = {"gi-head": 2, "gi-chief": 3, "gi-leader": 3, "gi-nobody": 0, "gi-admin": 3}
    for limit in (scope_module.GRID_ID_LIST_MAX, 1):
        monkeypatch.setattr(scope_module, "GRID_ID_LIST_MAX", limit)
        for user in users:
            scope_forget(user)
            scope = scope_for(user)
            by_ids = set(Incident.objects.filter(scope.q_grid_ids("grid")).values_list("pk", flat=True))
            by_paths = set(Incident.objects.filter(scope.q("grid")).values_list("pk", flat=True))
            assert by_ids == by_paths and len(by_ids) == expected[user.username], (user.username, limit)
    head = users[0]
    scope_forget(head)
    monkeypatch.setattr(scope_module, "GRID_ID_LIST_MAX", 5000)
    assert scope_for(head).q_grid_ids("grid") == Q(grid__any=[demo_grids[GRID_A].pk])


def test_the_any_lookup_takes_one_array_of_ids(demo_grids):
    ids = [demo_grids[GRID_A].pk, demo_grids[GRID_B].pk]
    qs = Grid.objects.filter(pk__any=ids)
    sql, params = qs.query.sql_with_params()
    assert "ANY(" in sql and [ids] == [p for p in params if isinstance(p, list)]
    assert set(qs.values_list("code", flat=True)) == {GRID_A, GRID_B}
    assert not Grid.objects.filter(pk__any=[]).exists()
    assert Grid.objects.filter(parent__any=[demo_grids[COMMUNITY].pk]).count() == \
        Grid.objects.filter(parent=demo_grids[COMMUNITY]).count() > 0
