"""Publishing a plan: its draft becomes the live children of its parent, all or nothing, through
the grids services (which keep codes, versions and the boundary hooks)."""
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.grids.geometry import shp
from layers.grids.models import Grid, GridKind
from layers.grids.services import GridSpec, grid_retire, grid_update, grids_create

from .edits import parent_fingerprint
from .history import lock_draft
from .models import Plan, PlanGrid, PlanStatus
from .validation import plan_validate


class PlanConflict(RuleViolation):
    """The parent's live children changed since the plan was made: publishing would overwrite
    someone else's published change. The API answers 409 (the error channel reads `status`);
    the draft is kept."""

    status = 409


def _same_boundary(a, b) -> bool:
    return shp(a).equals(shp(b)) if a is not None and b is not None else False


def publish_partition(plan: Plan, pgs: list[PlanGrid], live: list[Grid]):
    """Split the draft into (plan grids unchanged, live grids to retire, in-place updates
    [(plan grid, live grid)], new plan grids).

    Rule: a plan grid whose source grid is live and claimed by it alone keeps the grid and its
    code: unchanged if the boundary is equal, otherwise updated in place (a new version). A
    split or merged grid has no source: the old grids are retired and new codes issued."""
    live_by_id = {g.pk: g for g in live}
    claims = defaultdict(list)
    for pg in pgs:
        if pg.source_grid_id in live_by_id:
            claims[pg.source_grid_id].append(pg)
    unchanged, updates, new = [], [], []
    kept = set()
    for pg in pgs:
        src = pg.source_grid_id
        if src in live_by_id and len(claims[src]) == 1:
            kept.add(src)
            if _same_boundary(pg.geometry, live_by_id[src].geometry) and pg.kind == live_by_id[src].kind:
                unchanged.append(pg)
            else:
                updates.append((pg, live_by_id[src]))
        else:
            new.append(pg)
    retire = [g for g in live if g.pk not in kept]
    return unchanged, retire, updates, new


def _replace_addresses(retired_ids: list[int]) -> None:
    """When the boundary hooks left addresses in retired grids, the bulk assignment (the edge
    and gap rules of layers/grids/locate.py) moves them and clears what fell into a gap."""
    from layers.addresses.models import Address
    from layers.addresses.services import addresses_assign_all

    if Address.objects.filter(grid_id__in=retired_ids).exists():
        addresses_assign_all()


@transaction.atomic
def plan_publish(*, plan: Plan, user=None) -> dict:
    """Make the draft the live children of its parent, all or nothing."""
    plan = lock_draft(plan)
    parent = Grid.objects.select_for_update().get(pk=plan.parent_id)
    current = parent_fingerprint(parent=parent)
    if current != plan.base_fingerprint:
        raise PlanConflict("plan_conflict", _("The grids of %(parent)s were changed by someone else since this plan was made; "
                                              "your draft is kept: start a new plan and apply your changes again")
                           % {"parent": parent}, grids=[parent.code])
    if parent.valid_to is not None:
        raise PlanConflict("plan_conflict", _("%(parent)s was retired since this plan was made") % {"parent": parent},
                           grids=[parent.code])
    blocking = [p for p in plan_validate(plan=plan) if p["severity"] == "error"]
    if blocking:
        raise RuleViolation("plan_invalid", _("The plan cannot be published while %(n)d problem(s) remain: %(first)s")
                            % {"n": len(blocking), "first": blocking[0]["detail"]},
                            extra={"problems": [{k: v for k, v in p.items() if k != "geometry"} for p in blocking]})
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    live = list(Grid.objects.filter(parent=parent, kind=GridKind.BASE, valid_to__isnull=True).order_by("pk"))
    unchanged, retire, updates, new = publish_partition(plan, pgs, live)
    today = timezone.localdate()
    for g in retire:
        grid_retire(grid=g, on=today, user=user)
    for pg in unchanged:
        src = pg.source_grid
        if (pg.name, pg.use) != (src.name, src.use):
            grid_update(grid=src, user=user, name=pg.name, use=pg.use)
    # In-place updates may transiently overlap a neighbour that has not shrunk yet: retry in
    # rounds (each in a savepoint); what still cannot go in place is retired and re-created.
    pending = list(updates)
    while pending:
        progressed, later = False, []
        for pg, src in pending:
            try:
                with transaction.atomic():
                    grid_update(grid=src, user=user, geometry=pg.geometry, name=pg.name, kind=pg.kind,
                                use=pg.use, note=_("plan %(id)s") % {"id": plan.pk})
                progressed = True
            except RuleViolation:
                later.append((pg, src))
        pending = later
        if not progressed:
            for pg, src in pending:
                grid_retire(grid=src, on=today, user=user)
                retire.append(src)
                new.append(pg)
            break
    created = []
    by_kind = defaultdict(list)
    for pg in new:
        by_kind[pg.kind].append(pg)
    for kind, items in by_kind.items():
        grids = grids_create(parent=parent, level=plan.level, kind=kind, user=user, valid_from=today,
                             specs=[GridSpec(name=pg.name, geometry=pg.geometry, station=parent.station, use=pg.use)
                                    for pg in items])
        for pg, g in zip(items, grids):
            pg.source_grid = g
            pg.save(update_fields=["source_grid"])
        created += grids
    _replace_addresses([g.pk for g in retire])
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = timezone.now()
    plan.save(update_fields=["status", "published_at", "updated_at"])
    return {"plan": plan.pk, "created": [{"id": g.pk, "code": g.code, "name": g.name} for g in created],
            "retired": [{"id": g.pk, "code": g.code, "name": g.name} for g in retire],
            "updated": [{"id": src.pk, "code": src.code, "name": pg.name} for pg, src in updates if src not in retire],
            "unchanged": [pg.source_grid.code for pg in unchanged]}
