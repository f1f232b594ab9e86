from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from layers.staff.selectors import user_roles

# The main pages, in the order the home page lists them; a layer adds its own by name here.
PAGES = [
    ("/maps/coverage/", "coverage map"),
    ("/maps/hotspots/", "hotspots"),
    ("/maps/special/", "special grids"),
    ("/maps/grid/", "my grid"),
    ("/incidents/", "incidents"),
    ("/subjects/", "subjects"),
    ("/planner/", "planner"),
    ("/service-card/", "service card"),
    ("/api/grids/", "grids API"),
    ("/api/schema/", "OpenAPI schema"),
    ("/admin/", "administration"),
]


@login_required
def home(request):
    return render(request, "core/home.html", {"pages": PAGES, "roles": sorted(user_roles(user=request.user))})
