from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from layers.staff.access import route_access

from .selectors import planner_parents


def _strings() -> dict:
    """Every string the planner's JavaScript shows, translated here (no i18n in JS)."""
    return {
        "select_parent": _("Pick a parent grid"), "no_plan": _("No plan open"),
        "new_plan": _("New plan"), "opened": _("Plan %s opened"), "saved": _("Saved"),
        "select_one": _("Select exactly one grid to split (click it on the map), then draw the line"),
        "select_two": _("Select two or more adjacent grids to merge (click them on the map)"),
        "draw_line": _("Draw the split line across the selected grid; double-click or click the last point to finish"),
        "draw_poly": _("Draw the new grid; click the first point to finish"),
        "no_problems": _("No problems: the plan can be published"),
        "publish_ok": _("Published: %s new grids, %s retired"),
        "confirm_publish": _("Publish this plan? The live grids it replaces are retired."),
        "staff_heading": _("Staff on the grids this plan retires or changes"),
        "staff_name": _("Staff"), "staff_role": _("Role"), "staff_grid": _("Grid now"),
        "staff_decision": _("When published"), "staff_follow": _("Follow the boundary to"),
        "staff_keep": _("Keep the changed grid"), "staff_end": _("End the assignment"),
        "staff_only": _("Move only to"), "staff_none": _("No staff on the grids this plan changes."),
        "without_head": _("These grids would have no grid head (a task goes to the station chief)"),
        "confirm_discard": _("Discard this plan?"), "discarded": _("Plan discarded"),
        "conflict": _("Conflict"), "error": _("Error"), "households": _("households"),
        "addresses": _("addresses"), "subjects": _("subjects"), "incidents": _("open incidents"),
        "moves": _("moves"), "from": _("from"), "to": _("to"), "new_grid": _("new grid"),
        "in_band": _("in band"), "out_of_band": _("out of band"), "band": _("band"),
        "retire": _("to retire"), "selected": _("Selected"), "none": _("none"),
        "autopartition_done": _("Auto-partition: %s grids, %s within the band"),
        "gap": _("gap"), "overlap": _("overlap"),
        "draw_guide": _("Draw a road, river or wall for the auto-partition to cut along; double-click or click the "
                        "last point to finish"),
        "guides": _("%s guide lines"),
        "autopartition_lines": _("Auto-partition along %s guide lines: %s grids, %s within the band"),
        "not_draft": _("This plan is %s: it can no longer be edited or published."),
        "discarded_note": _("This plan was discarded: nothing of it will be published."),
        "published_note": _("This plan was published: its grids are now the live grids."),
        "no_match": _("No grid matches"), "current_children": _("Current grids of %s"),
        "layer_children": _("Current grids"), "layer_neighbours": _("Neighbouring grids"),
        "layer_addresses": _("Addresses (dots)"), "layer_plan": _("Plan grids"),
        "impact_stale": _("Updating the impact…"), "no_plans": _("No draft plan for this parent"),
    }


@login_required
@route_access
def planner(request):
    """The planner's editor: draft plans for one parent grid, edited on the map."""
    parents = list(planner_parents(user=request.user).filter(level__lt=5)
                   .values("id", "code", "name", "level", "parent_id"))
    if not parents:
        raise PermissionDenied(_("The planner is for planners"))
    ids = {p["id"] for p in parents}
    for p in parents:  # a tree: a grid whose parent is not plannable here is a root
        if p["parent_id"] not in ids:
            p["parent_id"] = None
    return render(request, "plans/planner.html", {"parents": parents, "strings": _strings()})
