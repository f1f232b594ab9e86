import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from layers.core.crs import CRS_CHOICES
from layers.grids.importing import CLIP_MAX_M2, SLIVER_MAX_M2
from layers.grids.models import GridNetwork
from layers.core.errors import RuleViolation
from layers.staff.access import route_access

from .models import ImportKind
from .selectors import import_job_get, import_job_list
from .services import import_job_create, import_job_run


def _page(request):
    return render(request, "imports/index.html", {
        "jobs": import_job_list(user=request.user)[:20], "crs_choices": CRS_CHOICES, "kinds": ImportKind.choices,
        "clip_max_m2": int(CLIP_MAX_M2), "sliver_max_m2": int(SLIVER_MAX_M2), "networks": GridNetwork.choices})


@login_required
@route_access
@require_http_methods(["GET", "POST"])
def imports(request):
    """Upload a boundary file or an address registry; the preview follows on the job's page.
    A refused upload raises its RuleViolation: geogrid's error page says why (400)."""
    if request.method == "GET":
        return _page(request)
    upload = request.FILES.get("file")
    if upload is None:
        raise RuleViolation("file_missing", _("Choose a file to upload"))
    job = import_job_create(user=request.user, kind=request.POST.get("kind", ""), upload=upload, data=request.POST)
    return redirect("import-detail", pk=job.pk)


@login_required
@route_access
def import_detail(request, pk: int):
    job = import_job_get(user=request.user, pk=pk)
    labels = {"snap": _("snapped to the neighbours"), "clip_outside_parent": _("clipped to the parent"),
              "clip_overlap": _("overlap clipped"), "sliver_to_neighbour": _("sliver given to the neighbour")}
    report = job.report
    if report and report.get("adjustments"):
        report = {**report, "adjustments": [{**a, "label": labels.get(a.get("action"), a.get("action"))}
                                            for a in report["adjustments"]]}
    return render(request, "imports/job.html", {
        "job": job, "preview": job.preview, "report": report,
        "network_label": GridNetwork(job.options.get("network") or GridNetwork.BASE).label
        if job.kind == ImportKind.GRIDS else "",
        "preview_json": json.dumps(job.preview, ensure_ascii=False, indent=1),
        "strings": {"running": _("Running"), "of": _("of"), "done": _("Done")}})


@login_required
@route_access
@require_POST
def import_run(request, pk: int):
    job = import_job_get(user=request.user, pk=pk)
    import_job_run(job=job, mode=request.POST.get("mode", ""), skip_bad=request.POST.get("skip_bad") == "1")
    return redirect("import-detail", pk=job.pk)


@login_required
@route_access
def import_status(request, pk: int):
    job = import_job_get(user=request.user, pk=pk)
    return JsonResponse({"status": job.status, "step": job.step, "done": job.done, "total": job.total,
                         "error": job.error})
