"""Reads of patrols. Tracks are personal data: a member sees their own patrols; a grid head or
station chief those of the grids they answer for; an administrator all. Leaders see patrol
figures only as coverage aggregates (hours, distance per grid), never tracks."""
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from layers.staff.models import Role
from layers.staff.scope import scope_for

from .models import Patrol, PatrolPoint
from .sqlfiles import sql

# Who may see the patrols of others in their grids.
SUPERVISORS = (Role.GRID_HEAD, Role.STATION_CHIEF)


def _scoped(user) -> Q:
    scope = scope_for(user)
    if not scope.authenticated:
        return Q(pk__in=[])
    if scope.is_admin:
        return Q()
    return Q(member_id=user.pk) | scope.q("grid", roles=SUPERVISORS)


def patrol_list(*, user, member_id: int | None = None, grid_id: int | None = None, open_only: bool = False,
                since=None, until=None) -> QuerySet[Patrol]:
    """Patrols the user may see, newest first, with the number of reports made."""
    qs = (Patrol.objects.filter(_scoped(user)).select_related("member", "grid")
          .annotate(report_count=Count("reports")))
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    if grid_id is not None:
        qs = qs.filter(grid_id=grid_id)
    if open_only:
        qs = qs.filter(ended_at__isnull=True)
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    if until is not None:
        qs = qs.filter(started_at__lt=until)
    return qs


def patrol_get(*, user, pk) -> Patrol:
    """One patrol in the user's scope; 404 otherwise (as every scoped detail)."""
    try:
        return patrol_list(user=user).get(pk=int(pk))
    except (Patrol.DoesNotExist, TypeError, ValueError):
        raise Http404


def patrol_open_get(*, user) -> Patrol | None:
    """The user's own running patrol, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Patrol.objects.filter(member=user, ended_at__isnull=True).select_related("grid").first()


def patrol_point_list(*, patrol: Patrol) -> QuerySet[PatrolPoint]:
    """The points of a patrol already read through patrol_get (so in scope), in time order."""
    return PatrolPoint.of(patrol).order_by("at")


def patrol_figures_by_grid(*, grid_ids: list[int], since=None, until=None) -> dict:
    """Coverage hook: finished patrols' hours and kilometres over each grid's subtree; with
    `since`/`until` (aware datetimes) only the patrols started in [since, until). Aggregates per
    grid only, for grids the caller already took from a scoped list."""
    zeros = {"patrols": 0, "patrol_hours": 0.0, "patrol_distance_km": 0.0}
    out: dict = {None: zeros}
    if not grid_ids:
        return out
    with connection.cursor() as cur:
        cur.execute(sql("figures"), {"ids": list(grid_ids), "since": since, "until": until})
        for gid, n, seconds, metres in cur.fetchall():
            out[gid] = {"patrols": n, "patrol_hours": round(float(seconds) / 3600, 2),
                        "patrol_distance_km": round(float(metres) / 1000, 2)}
    return out
