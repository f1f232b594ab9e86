"""Reads of plans. Plans are for planners whose scope covers the plan's parent grid (and for
administrators); the scope is the acting user's one object (layers/staff/scope.py)."""
from django.db.models import QuerySet

from layers.grids.models import Grid, GridKind
from layers.staff.models import Role
from layers.staff.scope import scope_for

from .models import Plan


def planner_may_plan(*, user, parent: Grid) -> bool:
    """A planner (or administrator) whose assigned grid is the parent or one of its ancestors."""
    scope = scope_for(user)
    return scope.is_admin or scope.holds(parent, roles=[Role.PLANNER])


def planner_parents(*, user) -> QuerySet[Grid]:
    """Current base grids the user may plan children for."""
    scope = scope_for(user)
    if scope.is_admin:
        qs = Grid.objects.filter(valid_to__isnull=True)
    elif scope.paths_for(Role.PLANNER):
        qs = Grid.objects.filter(scope.q("", roles=[Role.PLANNER]), valid_to__isnull=True)
    else:
        return Grid.objects.none()
    return qs.filter(kind=GridKind.BASE).order_by("code")


def plan_list(*, user, parent: int | None = None, status: str | None = None) -> QuerySet[Plan]:
    """Plans on parents the user may plan."""
    ids = planner_parents(user=user).values("pk")
    qs = Plan.objects.filter(parent_id__in=ids).select_related("parent", "author")
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    if status:
        qs = qs.filter(status=status)
    return qs


def plan_get(*, user, pk: int) -> Plan:
    """One plan; Plan.DoesNotExist (404) when out of the user's planning scope."""
    plan = Plan.objects.select_related("parent").get(pk=pk)
    if not planner_may_plan(user=user, parent=plan.parent):
        raise Plan.DoesNotExist
    return plan
