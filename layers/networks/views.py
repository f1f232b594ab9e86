"""The party-group leader's phone pages: raise a matter found in their party grid (handed to the
administrative grid holding its point) and follow the matters their network raised."""
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from layers.incidents.models import Incident, IncidentClass
from layers.incidents.selectors import incident_type_list
from layers.staff.access import route_access

from .api.serializers import matter_detail, matter_summary
from .api.views import raise_from
from .selectors import party_grid_list, party_matter_events, party_matter_get, party_matter_list


@route_access
def party_page(request):
    if request.method == "POST":
        incident, _created = raise_from(request, request.POST)
        return redirect("party-matter-page", pk=incident.pk)
    types = [t for t in incident_type_list() if t.parent_id is not None]
    return render(request, "networks/party.html", {
        "grids": party_grid_list(user=request.user),
        "types": types, "classes": IncidentClass.choices,
        "matters": [matter_summary(i) for i in party_matter_list(user=request.user)[:100]],
    })


@route_access
def party_matter_page(request, pk):
    try:
        incident = party_matter_get(user=request.user, pk=pk)
    except Incident.DoesNotExist:
        raise Http404(_("No such matter"))
    events = party_matter_events(incident=incident)
    data = matter_detail(incident, events)
    for shown, raw in zip(data["events"], events):
        shown["when"] = raw["at"]  # a datetime for the template's local date format
    return render(request, "networks/matter.html", {"m": data, "incident": incident})
