from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from layers.staff.access import route_access
from layers.staff.selectors import user_roles

# The main pages, in the order the home page lists them; a layer adds its own by name here.
PAGES = [
    ("/overview/", _("grid overview")),
    ("/maps/coverage/", _("coverage map")),
    ("/maps/hotspots/", _("hotspots")),
    ("/maps/special/", _("special grids")),
    ("/maps/grid/", _("my grid")),
    ("/incidents/", _("incidents")),
    ("/subjects/", _("subjects")),
    ("/planner/", _("planner")),
    ("/service-card/", _("service card")),
    ("/api/grids/", _("grids API")),
    ("/api/schema/", _("OpenAPI schema")),
    ("/admin/", _("administration")),
]


@login_required
@route_access
def home(request):
    return render(request, "core/home.html", {"pages": PAGES, "roles": sorted(user_roles(user=request.user))})
