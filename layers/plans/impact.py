"""What publishing a plan would move: addresses, households, subjects and open incidents from
which old grid to which new one (the in-plan locate of layers/grids/locate.py), and each new
grid against the household band."""
from collections import defaultdict

from django.conf import settings

from layers.grids.geometry import shp
from layers.grids.locate import locate_in_plan
from layers.grids.models import Grid, GridKind
from layers.incidents.models import FINAL_STATUSES, Incident
from layers.staff.scope import scope_for
from layers.subjects.models import Subject
from layers.subjects.selectors import coarse_count

from .models import Plan, PlanGrid
from .partition import publish_partition
from .staffing import assignment_defaults, unheaded
from .validation import address_rows, band_applies


def _counts_of(model, plan: Plan, plan_grids: list, old_ids: set, parent_path: str) -> dict:
    """(old grid, new plan grid) -> count for Subject or Incident (open cases only: closed ones
    keep the grid they were handled in); the new plan grid by the one in-plan locate."""
    qs = model.objects.filter(grid__path__startswith=parent_path)
    if model is Incident:
        qs = qs.exclude(status__in=list(FINAL_STATUSES))
    point = "geometry" if any(f.name == "geometry" for f in model._meta.get_fields()) else "address__geometry"
    rows = list(qs.values_list("grid__path", point))
    children = {g.path: g.pk for g in Grid.objects.filter(pk__in=old_ids)}
    located = iter(locate_in_plan(plan_grids=plan_grids, points=[(pt.x, pt.y) for _p, pt in rows if pt is not None]))
    out = defaultdict(int)
    for path, pt in rows:
        old = next((pk for p, pk in children.items() if path and path.startswith(p)), None)
        new = next(located) if pt is not None else None
        out[(old, new)] += 1
    return out


def plan_impact(*, plan: Plan) -> dict:
    """What moves if the plan is published: addresses, households, subjects and open
    incidents from which old grid to which new one, and each new grid against the band."""
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    old = {g.pk: g for g in Grid.objects.filter(parent=plan.parent, kind=GridKind.BASE)
           .filter(pk__in=[f[0] for f in plan.base_fingerprint])}
    flows = defaultdict(lambda: {"addresses": 0, "households": 0, "subjects": 0, "incidents": 0})
    per_new = defaultdict(lambda: {"addresses": 0, "households": 0})
    for _aid, hh, o, n in address_rows(plan):
        flows[(o, n)]["addresses"] += 1
        flows[(o, n)]["households"] += hh or 0
        if n is not None:
            per_new[n]["addresses"] += 1
            per_new[n]["households"] += hh or 0
    plan_grids = [(pg.pk, pg.source_grid.code if pg.source_grid_id else "", shp(pg.geometry))
                  for pg in pgs if pg.kind == GridKind.BASE]
    for model, key in ((Subject, "subjects"), (Incident, "incidents")):
        for pair, n in _counts_of(model, plan, plan_grids, set(old), plan.parent.path).items():
            flows[pair][key] += n
    source_of = {pg.pk: pg.source_grid_id for pg in pgs}
    band = settings.GEOGRID_HOUSEHOLD_BAND.get(plan.level)
    names = {pg.pk: pg.name for pg in pgs}
    moves, totals = [], {"addresses": 0, "households": 0, "subjects": 0, "incidents": 0}
    for (o, n), c in sorted(flows.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0)):
        moved = n is None or source_of.get(n) != o
        item = {"from": {"id": o, "code": old[o].code, "name": old[o].name} if o in old else None,
                "to": {"id": n, "name": names.get(n)} if n is not None else None, "moves": moved, **c}
        moves.append(item)
        if moved:
            for k in totals:
                totals[k] += c[k]
    grids = []
    for pg in pgs:
        hh = per_new[pg.pk]["households"] if pg.pk in per_new else 0
        entry = {"id": pg.pk, "name": pg.name, "kind": pg.kind, "use": pg.use,
                 "source": {"id": pg.source_grid_id, "code": pg.source_grid.code} if pg.source_grid_id else None,
                 "addresses": per_new[pg.pk]["addresses"] if pg.pk in per_new else 0, "households": hh,
                 "band": list(band) if band else None, "in_band": None}
        if band and band_applies(pg):
            entry["in_band"] = band[0] <= hh <= band[1]
        grids.append(entry)
    live = list(old.values())
    unchanged, retired = publish_partition(plan, pgs, live)[:2]
    assignments = assignment_defaults(plan=plan, pgs=pgs, live=live)
    no_head = unheaded(plan=plan, pgs=pgs, live=live,
                       decisions=[{**a, "decision": a["default"]} for a in assignments])
    return {"plan": plan.pk, "flows": moves, "moved": totals, "grids": grids,
            "assignments": assignments,
            "without_head": [{"id": pg.pk, "name": names.get(pg.pk)} for pg in pgs if pg.pk in set(no_head)],
            "retire": [{"id": g.pk, "code": g.code, "name": g.name} for g in retired],
            "unchanged": [pg.pk for pg in unchanged]}


def plan_impact_for(*, user, plan: Plan) -> dict:
    """plan_impact as shown to `user`: a planner (who does not see small counts) gets the subject
    counts of every flow and of the total in the bands of coverage (subjects.selectors.coarse_count).
    A draft can be drawn around any few addresses, so exact counts here would give back every
    "<10" of the coverage figures by differencing two drafts."""
    impact = plan_impact(plan=plan)
    if not scope_for(user).sees_small_counts:
        for flow in impact["flows"]:
            flow["subjects"] = coarse_count(flow["subjects"])
        impact["moved"]["subjects"] = coarse_count(impact["moved"]["subjects"])
    return impact
