"""The grid head's page: the incidents of the user's own grids, filtered, on a map of them."""
import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from layers.core.errors import RuleViolation
from layers.grids.selectors import grids_geojson
from layers.staff.access import route_access
from layers.staff.scope import scope_for

from .api.views import list_filters
from .models import IncidentClass, Status
from .selectors import incident_list, incident_type_list, with_photos

PAGE_ROWS = 200


@login_required
@route_access
def incident_page(request):
    error = None
    try:
        filters = list_filters(request.GET)
    except RuleViolation as err:
        error, filters = err.messages[0], list_filters({})
    qs = incident_list(user=request.user, **filters)
    # The polygons drawn under the points: the grids the user is assigned to (the top of
    # their scope), or the whole street for an administrator.
    scope = scope_for(request.user)
    grids = scope.grids().filter(parent__isnull=True) if scope.is_admin else scope.grids().filter(pk__in=scope.grid_ids)
    outline = json.loads(grids_geojson(grids)) if grids.exists() else {"type": "FeatureCollection", "features": []}
    query = request.GET.urlencode()
    return render(request, "incidents/list.html", {
        # Thumbnails come from the scoped photo route, one prefetch for the whole page.
        "incidents": with_photos(qs)[:PAGE_ROWS], "count": qs.count(), "page_rows": PAGE_ROWS, "error": error,
        "statuses": Status.choices, "classes": IncidentClass.choices, "types": incident_type_list(),
        "params": request.GET, "scope_geojson": outline,
        "geojson_url": "/api/incidents/geojson/" + (f"?{query}" if query else ""),
        "export_url": "/api/incidents/export/?format=csv" + (f"&{query}" if query else ""),
        "status_labels": {k: str(v) for k, v in Status.choices},
    })
