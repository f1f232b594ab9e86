"""Pages: the scoped subjects list (masked, with a logged reveal) and the public service card."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from layers.core.crs import to_storage
from layers.core.errors import RuleViolation
from layers.staff.access import route_access
from layers.staff.models import FIELD_ROLES
from layers.staff.scope import scope_for

from .masking import mask
from .models import SubjectCategory
from .selectors import service_card_get, subject_list
from .services import SENSITIVE


@login_required
@route_access
def subjects_page(request):
    category = request.GET.get("category") or None
    if category not in SubjectCategory.values:
        category = None
    qs = subject_list(user=request.user, category=category, q=(request.GET.get("q") or "").strip() or None)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    rows = [{"s": s, "masked": {f: mask(f, getattr(s, f)) for f in SENSITIVE}} for s in page]
    return render(request, "subjects/list.html", {
        "page": page, "rows": rows, "sensitive": SENSITIVE, "categories": SubjectCategory.choices,
        "category": category or "", "q": request.GET.get("q", ""),
        "can_reveal": scope_for(request.user).acts_as(*FIELD_ROLES),
    })


def service_card_page(request):
    """Public (no login): a resident finds their grid, station and grid workers."""
    address = (request.GET.get("address") or "").strip()[:200]
    lon, lat = request.GET.get("lon"), request.GET.get("lat")
    card, error, searched = None, None, False
    try:
        if address:
            searched = True
            card = service_card_get(address=address)
        elif lon and lat:
            searched = True
            x, y = to_storage(lon, lat, request.GET.get("crs") or "wgs84")
            card = service_card_get(lon=x, lat=y)
    except RuleViolation as exc:
        error = exc.messages[0]
    if searched and card is None and error is None:
        error = _("No grid found for this place.")
    return render(request, "subjects/service_card.html", {
        "card": card, "error": error, "address": address, "lon": lon or "", "lat": lat or ""})
