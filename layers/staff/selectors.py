"""Who may see what: the acting user's grid scope. Every selector that returns people,
incidents or visits filters through `scope_q`."""
from django.db.models import Q, QuerySet

from layers.grids.models import Grid

from .models import Assignment, Role


def user_is_admin(*, user) -> bool:
    return bool(user and user.is_authenticated and (
        user.is_superuser or Assignment.objects.filter(user=user, role=Role.ADMIN, active=True).exists()))


def user_roles(*, user) -> set[str]:
    """The roles the user holds (active assignments)."""
    if not (user and user.is_authenticated):
        return set()
    return set(Assignment.objects.filter(user=user, active=True).values_list("role", flat=True))


def scope_paths(*, user) -> list[str] | None:
    """Path prefixes of the grids the user answers for; None means everything (administrator),
    [] means nothing."""
    if not (user and user.is_authenticated):
        return []
    if user_is_admin(user=user):
        return None
    paths = (Assignment.objects.filter(user=user, active=True, grid__isnull=False)
             .values_list("grid__path", flat=True))
    return sorted(set(paths))


def scope_q(*, user, field: str = "grid") -> Q:
    """A Q object limiting rows whose `field` (a Grid FK) lies in the user's subtree."""
    paths = scope_paths(user=user)
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__path__startswith": p})
    return q


def grid_list_in_scope(*, user, current: bool = True) -> QuerySet[Grid]:
    """The grids in the user's subtree (their own grids and everything below)."""
    paths = scope_paths(user=user)
    qs = Grid.objects.all()
    if paths is not None:
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(path__startswith=p)
        qs = qs.filter(q)
    if current:
        qs = qs.filter(valid_to__isnull=True)
    return qs
