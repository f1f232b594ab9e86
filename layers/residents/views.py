"""Public pages for residents (no login, phone-first): report a problem, follow it with the
tracking code, rate the handling once it is closed. They call the public API."""
from django.shortcuts import render
from django.utils.translation import gettext as _

from layers.incidents.selectors import incident_type_list


def _types() -> list[dict]:
    cats: dict = {}
    for t in incident_type_list():
        if t.parent_id is None:
            cats.setdefault(t.pk, {"name": t.name, "code": t.code, "types": []})
    for t in incident_type_list():
        if t.parent_id is not None and t.parent_id in cats:
            cats[t.parent_id]["types"].append({"code": t.code, "name": t.name})
    return [c for c in cats.values() if c["types"]]


def report_page(request):
    words = {"locating": _("Finding your position…"), "located": _("Position found (accuracy %(m)s m)"),
             "no_geo": _("Your phone did not give a position; type an address instead."),
             "score": _("match"), "no_match": _("No address matched; try fewer words."),
             "chosen": _("Chosen: %(a)s"), "need_place": _("Say where: use your location or choose an address."),
             "network": _("No network; please try again.")}
    return render(request, "residents/report.html", {"categories": _types(), "words": words})


def track_page(request):
    words = {"not_found": _("No report has this code; check it and try again."),
             "rated": _("Thank you: you rated this case %(n)s of 5."), "network": _("No network; please try again.")}
    return render(request, "residents/track.html", {"code": (request.GET.get("code") or "").strip()[:32], "words": words})
