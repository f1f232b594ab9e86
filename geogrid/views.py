"""Project-level pages: the home page, which sits above every layer because it shows the
acting user's roles (staff) beside the list of pages (core)."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from layers.core.pages import PAGES
from layers.staff.access import route_access
from layers.staff.scope import scope_for


@login_required
@route_access
def home(request):
    return render(request, "core/home.html", {"pages": PAGES, "roles": sorted(scope_for(request.user).roles)})
