"""Reads of plans. Plans are for planners whose scope covers the plan's parent grid."""
from django.db.models import QuerySet

from layers.grids.models import Grid
from layers.staff.models import Assignment, Role
from layers.staff.selectors import user_is_admin

from .models import Plan


def planner_may_plan(*, user, parent: Grid) -> bool:
    """A planner (or administrator) whose assigned grid is the parent or one of its ancestors."""
    if not (user and user.is_authenticated):
        return False
    if user_is_admin(user=user):
        return True
    paths = Assignment.objects.filter(user=user, role=Role.PLANNER, active=True, grid__isnull=False) \
        .values_list("grid__path", flat=True)
    return any(parent.path.startswith(p) for p in paths)


def planner_parents(*, user) -> QuerySet[Grid]:
    """Current base grids the user may plan children for (those with a level below them)."""
    from layers.staff.selectors import grid_list_in_scope

    if not user_is_admin(user=user) and not Assignment.objects.filter(
            user=user, role=Role.PLANNER, active=True).exists():
        return Grid.objects.none()
    qs = grid_list_in_scope(user=user).filter(kind="base")
    if not user_is_admin(user=user):
        paths = Assignment.objects.filter(user=user, role=Role.PLANNER, active=True, grid__isnull=False) \
            .values_list("grid__path", flat=True)
        from django.db.models import Q
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(path__startswith=p)
        qs = qs.filter(q)
    return qs.order_by("code")


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
