"""Reads of plans. Plans are for planners whose scope covers the plan's parent grid (and for
administrators); the scope is the acting user's one object (layers/staff/scope.py)."""
import json
import math

from django.db import connection
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


# Neighbours of the parent: grids of its level whose boundary comes within this distance (m).
NEIGHBOUR_M = 30.0


def planner_reference(*, user, parent: int) -> dict:
    """What a planner draws against when no basemap is configured: the parent's current children
    (named), the grids of the parent's level around it, and its address points with their
    households. Grid.DoesNotExist (404) when the parent is not one the user may plan."""
    grid = planner_parents(user=user).get(pk=parent)
    children = Grid.objects.filter(parent=grid, valid_to__isnull=True).order_by("code")
    deg = NEIGHBOUR_M / 111_320.0 / max(math.cos(math.radians(grid.geometry.centroid.y)), 0.1)
    neighbours = (Grid.objects.filter(level=grid.level, kind=GridKind.BASE, valid_to__isnull=True,
                                      geometry__dwithin=(grid.geometry, deg))
                  .exclude(pk=grid.pk).order_by("code"))
    with connection.cursor() as cur:
        # Points as bare [lon, lat, households] triples: a street has thousands of addresses,
        # and GeoJSON features per point would be ten times the bytes.
        cur.execute("SELECT ST_X(a.geometry), ST_Y(a.geometry), a.households FROM addresses_address a "
                    "WHERE ST_Covers(%s::geometry, a.geometry) ORDER BY a.id", [grid.geometry.ewkt])
        points = [[round(x, 7), round(y, 7), int(h or 0)] for x, y, h in cur.fetchall()]

    def fc(grids):
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": g.pk, "geometry": json.loads(g.geometry.geojson),
             "properties": {"id": g.pk, "code": g.code, "name": g.name, "level": g.level, "kind": g.kind}}
            for g in grids]}
    return {"parent": {"id": grid.pk, "code": grid.code, "name": grid.name, "level": grid.level,
                       "geometry": json.loads(grid.geometry.geojson)},
            "children": fc(children), "neighbours": fc(neighbours), "addresses": points}
