"""The grid head's page: the incidents of the user's own grids, filtered, on a map of them."""
import json

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from layers.core.errors import RuleViolation
from layers.grids.selectors import grids_geojson
from layers.staff.access import route_access
from layers.staff.models import Assignment
from layers.staff.selectors import grid_list_in_scope, scope_paths

from .api.views import list_filters
from .models import IncidentClass, Photo, Status
from .selectors import incident_list, incident_type_list

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
    if scope_paths(user=request.user) is None:
        grids = grid_list_in_scope(user=request.user).filter(parent__isnull=True)
    else:
        ids = Assignment.objects.filter(user=request.user, active=True, grid__isnull=False).values_list("grid_id", flat=True)
        grids = grid_list_in_scope(user=request.user).filter(pk__in=list(ids))
    scope = json.loads(grids_geojson(grids)) if grids.exists() else {"type": "FeatureCollection", "features": []}
    query = request.GET.urlencode()
    return render(request, "incidents/list.html", {
        # Thumbnails come from the scoped photo route, one prefetch for the whole page.
        "incidents": qs.prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("uploaded_at", "id")))[:PAGE_ROWS], "count": qs.count(), "page_rows": PAGE_ROWS, "error": error,
        "statuses": Status.choices, "classes": IncidentClass.choices, "types": incident_type_list(),
        "params": request.GET, "scope_geojson": scope,
        "geojson_url": "/api/incidents/geojson/" + (f"?{query}" if query else ""),
        "export_url": "/api/incidents/export/?format=csv" + (f"&{query}" if query else ""),
        "status_labels": {k: str(v) for k, v in Status.choices},
    })
