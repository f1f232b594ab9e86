"""The leaders' overview page: a ranked table of grids beside a map of the same rows."""
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from layers.core import params as P
from layers.grids.models import GridNetwork
from layers.networks.selectors import PARTY_LEVELS
from layers.staff.access import route_access

from .api.views import FLAG_LABELS
from .selectors import SORTABLE


@route_access
def overview_page(request):
    network = P.choice(request.GET.get("network"), "network", GridNetwork.values, default=GridNetwork.BASE)
    names = settings.GEOGRID_LEVELS if network == GridNetwork.BASE else PARTY_LEVELS
    levels = [(n, name) for n, name in sorted(names.items()) if n >= 2]
    return render(request, "overview/overview.html", {
        "levels": levels, "flags": FLAG_LABELS, "sortable": SORTABLE,
        "this_month": timezone.localdate().strftime("%Y-%m"),
        "networks": GridNetwork.choices, "network": network,
    })
