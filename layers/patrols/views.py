"""Patrol pages: the member's phone page (start, record, end, report what I see) and the map on
which a grid head or station chief sees their members' patrols."""
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from layers.grids.selectors import grids_geojson
from layers.staff.access import route_access
from layers.staff.scope import scope_for

from .api.serializers import patrol_summary
from .selectors import SUPERVISORS, patrol_list, patrol_open_get


@route_access
def patrol_page(request):
    scope = scope_for(request.user)
    if not (scope.is_field or scope.is_admin):
        raise Http404
    running = patrol_open_get(user=request.user)
    recent = [patrol_summary(p) for p in patrol_list(user=request.user, member_id=request.user.pk)[:5]]
    return render(request, "patrols/patrol.html", {
        "running": patrol_summary(running) if running else None, "recent": recent,
        # Record a position at most every `interval` seconds, or sooner after `step` metres.
        "interval_s": getattr(settings, "GEOGRID_PATROL_INTERVAL_S", 30),
        "step_m": getattr(settings, "GEOGRID_PATROL_STEP_M", 25),
        "send_every_s": getattr(settings, "GEOGRID_PATROL_SEND_S", 60),
        "words": {"need_network": _("Starting a patrol needs the network; try again when you are online."),
                  "no_geo": _("This phone gives no position; the patrol runs without a track."),
                  "ended": _("Patrol ended."), "queued": _("Saved on this phone; sent when the network returns."),
                  "points": _("%(n)s positions")},
    })


@route_access
def patrol_map_page(request):
    scope = scope_for(request.user)
    if not (scope.is_admin or scope.has_role(*SUPERVISORS)):
        raise Http404
    patrols = [patrol_summary(p) for p in patrol_list(user=request.user)[:200]]
    grids = scope.grids().filter(pk__in=scope.grid_levels.keys()) if not scope.is_admin else scope.grids().filter(level=2)
    return render(request, "patrols/map.html", {"patrols": patrols, "grids_geojson": grids_geojson(grids)})
