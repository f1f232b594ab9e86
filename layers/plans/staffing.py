"""Staff follow the boundaries: who serves the grids a plan retires or changes, what becomes of
each of them when it is published (the decision, with defaults), and the check that no grid is
left without a head unseen.

Defaults: a grid changed in place keeps its people; the people of a retired grid move to every
new grid that took a large part of it (a split grid's head keeps both halves until reassigned;
a merged grid keeps the heads of all its parts). "Large": at least 20% of the old grid, or at
least half of the new one, so a neighbour that only took a sliver does not inherit anyone."""
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.grids.geometry import shp
from layers.grids.models import Grid, GridKind
from layers.staff.models import AssignmentChangeAction, Role
from layers.staff.selectors import assignment_list_on_grids

from .partition import publish_partition

MOVED, KEPT, ENDED = AssignmentChangeAction.MOVED, AssignmentChangeAction.KEPT, AssignmentChangeAction.ENDED


def _targets(old_geom, pgs) -> list[int]:
    old = shp(old_geom)
    out = []
    for pg in pgs:
        if pg.kind != GridKind.BASE:
            continue
        new = shp(pg.geometry)
        if not new.intersects(old):
            continue
        shared = new.intersection(old).area
        if shared >= 0.2 * old.area or shared >= 0.5 * new.area:
            out.append(pg.pk)
    return out


def _name(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return profile.display_name if profile else (user.get_full_name() or user.username)


def assignment_defaults(*, plan, pgs, live) -> list[dict]:
    """Every active head, member and station chief assignment on a live grid the plan retires or
    changes, with the default decision and the grids it may move to."""
    unchanged, retire, updates, _new = publish_partition(plan, pgs, live)
    changed_to = {src.pk: pg.pk for pg, src in updates}
    retired = {g.pk: g for g in retire}
    affected = [*retired, *changed_to]
    out = []
    base_pgs = [pg.pk for pg in pgs if pg.kind == GridKind.BASE]
    for a in assignment_list_on_grids(grid_ids=affected):
        if a.grid_id in changed_to:
            default = {"action": str(KEPT), "to": [changed_to[a.grid_id]]}
            change = "changed"
        else:
            to = _targets(retired[a.grid_id].geometry, pgs)
            default = {"action": str(MOVED) if to else str(ENDED), "to": to}
            change = "retired"
        out.append({"assignment": a.pk, "user": a.user_id, "name": _name(a.user), "role": a.role,
                    "role_label": str(Role(a.role).label),
                    "grid": {"id": a.grid_id, "code": a.grid.code, "name": a.grid.name}, "grid_change": change,
                    "default": default, "options": base_pgs})
    return out


def unheaded(*, plan, pgs, live, decisions: list[dict]) -> list[int]:
    """Plan grids (base) that would have no grid head after publishing with these decisions."""
    retired_ids = {g.pk for g in publish_partition(plan, pgs, live)[1]}
    heads_on_live = {a.grid_id for a in assignment_list_on_grids(grid_ids=[g.pk for g in live])
                     if a.role == Role.GRID_HEAD}
    by_assignment = {d["assignment"]: d for d in decisions}
    covered = set()
    for pg in pgs:
        if pg.source_grid_id and pg.source_grid_id not in retired_ids and pg.source_grid_id in heads_on_live:
            covered.add(pg.pk)
    for d in by_assignment.values():
        if d["role"] == Role.GRID_HEAD and d["decision"]["action"] in (MOVED, KEPT):
            covered.update(d["decision"]["to"])
    # Grid heads serve micro-grids; a grid with base children of its own (a residential area)
    # is answered for by its station chief, so it is never "without a head".
    parents = set(Grid.objects.filter(parent_id__in=[pg.source_grid_id for pg in pgs if pg.source_grid_id],
                                      kind=GridKind.BASE, valid_to__isnull=True).values_list("parent_id", flat=True))
    return [pg.pk for pg in pgs if pg.kind == GridKind.BASE and pg.pk not in covered
            and pg.source_grid_id not in parents]


def assignment_decisions(*, plan, pgs, live, given: dict | None) -> list[dict]:
    """The defaults, overridden by `given` ({assignment id: {"action", "to"}}); refuses a
    decision for an assignment the plan does not touch, an unknown action, a target outside the
    plan, `kept` on a grid that the plan retires, and `moved` with no target."""
    rows = assignment_defaults(plan=plan, pgs=pgs, live=live)
    by_id = {r["assignment"]: r for r in rows}
    given = given or {}
    if not isinstance(given, dict):
        raise RuleViolation("assignments_format", _("assignments must be an object: {assignment id: decision}"))
    base_pgs = {pg.pk for pg in pgs if pg.kind == GridKind.BASE}
    for key, d in given.items():
        try:
            aid = int(key)
        except (TypeError, ValueError):
            raise RuleViolation("assignments_format", _("%(k)r is not an assignment id") % {"k": key})
        if aid not in by_id:
            raise RuleViolation("assignment_unknown", _("Assignment %(id)s is not on a grid this plan changes")
                                % {"id": aid})
        if not isinstance(d, dict) or d.get("action") not in (MOVED, KEPT, ENDED):
            raise RuleViolation("assignment_action", _("Decide move, keep or end for assignment %(id)s") % {"id": aid})
        to = d.get("to") or []
        if not isinstance(to, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in to):
            raise RuleViolation("assignment_target", _("`to` must be a list of plan grid ids"))
        if any(t not in base_pgs for t in to):
            raise RuleViolation("assignment_target", _("Assignment %(id)s can only move to grids of this plan")
                                % {"id": aid})
        if d["action"] == MOVED and not to:
            raise RuleViolation("assignment_target", _("Moving assignment %(id)s needs at least one grid") % {"id": aid})
        if d["action"] == KEPT and by_id[aid]["grid_change"] == "retired":
            raise RuleViolation("assignment_action", _("The grid of assignment %(id)s is retired: move or end it")
                                % {"id": aid})
        by_id[aid]["decision"] = {"action": d["action"], "to": to if d["action"] != ENDED else []}
    for r in rows:
        r.setdefault("decision", r["default"])
    return rows
