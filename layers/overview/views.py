"""The leaders' overview page: a ranked table of grids beside a map of the same rows."""
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from layers.core import params as P
from layers.grids.models import GridNetwork
from layers.staff.access import route_access

from .api.views import FLAG_LABELS
from .selectors import SORTABLE


@route_access
def overview_page(request):
    levels = [(n, name) for n, name in sorted(settings.GEOGRID_LEVELS.items()) if n >= 2]
    return render(request, "overview/overview.html", {
        "levels": levels, "flags": FLAG_LABELS, "sortable": SORTABLE,
        "this_month": timezone.localdate().strftime("%Y-%m"),
        "networks": GridNetwork.choices,
        "network": P.choice(request.GET.get("network"), "network", GridNetwork.values, default=GridNetwork.BASE),
    })
