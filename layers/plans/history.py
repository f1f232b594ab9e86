"""A plan's edit history: snapshots of the touched plan grids before and after each edit, so
undo restores `before` and redo restores `after`; edits beyond the cursor are dropped by a new one."""
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation

from .models import Plan, PlanEdit, PlanGrid, PlanStatus


def snapshot(grids) -> list[dict]:
    return [{"id": g.pk, "name": g.name, "kind": g.kind, "use": g.use, "geometry": g.geometry.hexewkb.decode()
             if isinstance(g.geometry.hexewkb, bytes) else g.geometry.hexewkb,
             "source_grid": g.source_grid_id, "origin": g.origin, "derived_from": g.derived_from} for g in grids]


def restore(plan: Plan, states: list[dict]) -> None:
    for s in states:
        PlanGrid.objects.update_or_create(pk=s["id"], defaults={
            "plan": plan, "name": s["name"], "kind": s["kind"], "use": s["use"],
            "geometry": GEOSGeometry(s["geometry"]), "source_grid_id": s["source_grid"],
            "origin": s["origin"], "derived_from": s["derived_from"]})


def record_edit(plan: Plan, action: str, before: list[dict], after_ids: list[int], user=None) -> PlanEdit:
    """Store one edit and move the cursor; edits beyond the cursor (undone ones) are dropped."""
    PlanEdit.objects.filter(plan=plan, seq__gt=plan.cursor).delete()
    after = snapshot(PlanGrid.objects.filter(plan=plan, pk__in=after_ids).order_by("pk"))
    plan.cursor += 1
    edit = PlanEdit.objects.create(plan=plan, seq=plan.cursor, action=action, before=before, after=after,
                                   author=user if user and user.pk else None)
    plan.save(update_fields=["cursor", "updated_at"])
    return edit


def lock_draft(plan: Plan) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise RuleViolation("plan_closed", _("Plan %(id)s is %(status)s and can no longer change")
                            % {"id": plan.pk, "status": plan.get_status_display()})
    return plan


@transaction.atomic
def plan_undo(*, plan: Plan, user=None) -> Plan:
    """Undo the last applied edit of the plan."""
    plan = lock_draft(plan)
    edit = PlanEdit.objects.filter(plan=plan, seq=plan.cursor).first()
    if edit is None:
        raise RuleViolation("nothing_to_undo", _("There is nothing to undo"))
    PlanGrid.objects.filter(plan=plan, pk__in=[s["id"] for s in edit.after]).delete()
    restore(plan, edit.before)
    plan.cursor -= 1
    plan.save(update_fields=["cursor", "updated_at"])
    return plan


@transaction.atomic
def plan_redo(*, plan: Plan, user=None) -> Plan:
    """Apply again the edit that was undone last."""
    plan = lock_draft(plan)
    edit = PlanEdit.objects.filter(plan=plan, seq=plan.cursor + 1).first()
    if edit is None:
        raise RuleViolation("nothing_to_redo", _("There is nothing to redo"))
    PlanGrid.objects.filter(plan=plan, pk__in=[s["id"] for s in edit.before]).delete()
    restore(plan, edit.after)
    plan.cursor += 1
    plan.save(update_fields=["cursor", "updated_at"])
    return plan
