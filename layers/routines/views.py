"""The routines' pages: meetings (list and schedule, the meeting itself with its agenda,
attendance, minutes and decisions, the one-page A4 record) and the ledger. Plain HTML forms
(they work on any phone, with no script); each post calls a service and comes back to the page."""
import datetime as dt

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from layers.core import params as P
from layers.core.errors import RuleViolation
from layers.grids.models import Grid
from layers.incidents.selectors import incident_type_list
from layers.staff.access import AGGREGATE, route_access
from layers.staff.scope import scope_for
from layers.staff.selectors import scoped_grid_list

from . import selectors, services
from .api.views import ledger_response, parse_month
from .exports import inline_css, ledger_blocks, meeting_pdf
from .models import DecisionKind, MeetingKind


@route_access
@require_http_methods(["GET", "POST"])
def meetings_page(request):
    """Meetings in the user's scope; station chiefs and grid heads schedule one here."""
    if request.method == "POST":
        gid = P.identifier(request.POST.get("grid"), "grid")
        grid = Grid.objects.filter(pk=gid).first() if gid else None
        if grid is None or not scope_for(request.user).holds(grid):
            raise Http404
        kind = P.choice(request.POST.get("kind"), "kind", MeetingKind.values, default=MeetingKind.MONTHLY)
        day = P.date(request.POST.get("date"), "date") or timezone.localdate()
        meeting = services.meeting_schedule(user=request.user, grid=grid, kind=kind, date=day,
                                            place=P.text(request.POST.get("place"), "place", max_length=200) or "")
        return redirect("meeting-page", pk=meeting.pk)
    meetings = list(selectors.meeting_list(user=request.user)[:100])
    return render(request, "routines/meetings.html", {
        "meetings": meetings, "grids": selectors.organiser_grid_list(user=request.user),
        "kinds": MeetingKind.choices, "today": timezone.localdate().isoformat(),
    })


def _meeting_context(request, meeting) -> dict:
    decisions = list(selectors.decision_list(meeting=meeting))
    labels = selectors.section_labels()
    sections = []
    for key in selectors.SECTIONS:
        items = [i for i in meeting.agenda if i.get("section") == key]
        sections.append({"key": key, "label": labels[key], "items": items})
    return {
        "meeting": meeting, "sections": sections, "attendances": list(meeting.attendances.all()),
        "decisions": [{"d": d, "open": selectors.decision_is_open(d)} for d in decisions],
        "can_organise": selectors.meeting_can_organise(user=request.user, grid=meeting.grid),
        "period_last": meeting.period_end - dt.timedelta(days=1),
    }


@route_access
@require_http_methods(["GET", "POST"])
def meeting_page(request, pk):
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    if request.method == "POST":
        _meeting_post(request, meeting)
        return redirect("meeting-page", pk=meeting.pk)
    ctx = _meeting_context(request, meeting)
    ctx.update({"decision_kinds": DecisionKind.choices, "types": incident_type_list().filter(parent__isnull=False),
                "micro_grids": scoped_grid_list(user=request.user, micro_only=True)
                .filter(path__startswith=meeting.grid.path).order_by("code")})
    return render(request, "routines/meeting.html", ctx)


def _meeting_post(request, meeting) -> None:
    post = request.POST
    action = P.choice(post.get("action"), "action", ("record", "decision", "done", "redraft"))
    if action == "record":
        services.meeting_record(user=request.user, meeting=meeting,
                                minutes=P.text(post.get("minutes"), "minutes", max_length=20000) or "",
                                present=[i for i in (P.identifier(v, "present") for v in post.getlist("present"))
                                         if i is not None],
                                guests=[g for g in (P.text(post.get("guests"), "guests", max_length=1000) or "")
                                        .replace("，", ",").split(",") if g.strip()],
                                held=post.get("held") == "1",
                                place=P.text(post.get("place"), "place", max_length=200) or "")
    elif action == "decision":
        kind = P.choice(post.get("kind"), "kind", DecisionKind.values, default=DecisionKind.RECORD)
        incident = None
        if kind == DecisionKind.INCIDENT:
            incident = {"type": P.text(post.get("type"), "type", max_length=64),
                        "grid": P.identifier(post.get("place_grid"), "place_grid")}
        services.decision_add(user=request.user, meeting=meeting, text=P.text(post.get("text"), "text",
                                                                                max_length=5000) or "",
                              kind=kind, owner_id=P.identifier(post.get("owner"), "owner"),
                              deadline=P.date(post.get("deadline"), "deadline"), incident=incident)
    elif action == "done":
        did = P.identifier(post.get("decision"), "decision")
        decision = selectors.decision_list(meeting=meeting).filter(pk=did).first()
        if decision is None:
            raise Http404
        services.decision_done(user=request.user, decision=decision,
                               note=P.text(post.get("note"), "note", max_length=5000) or "")
    elif action == "redraft":
        services.meeting_redraft(user=request.user, meeting=meeting)
    else:
        raise RuleViolation("bad_parameter", _("Unknown action"))


@route_access
def meeting_print(request, pk):
    """The meeting's record on one A4 page (CSS @page); ?format=pdf for the PDF."""
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    ctx = _meeting_context(request, meeting)
    if request.GET.get("format") == "pdf":
        resp = HttpResponse(meeting_pdf(ctx, request=request), content_type="application/pdf")
        resp["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-{meeting.date}.pdf"'
        resp["Cache-Control"] = "no-store"
        return resp
    ctx["css"] = inline_css("routines/print.css")
    return render(request, "routines/meeting_print.html", ctx)


@route_access
def ledger_page(request):
    """A grid's ledger for a month: pick a grid of your scope and a month; XLSX and PDF beside."""
    month = parse_month(request.GET.get("month"))
    grids = list(scoped_grid_list(user=request.user).filter(kind="base").order_by("level", "code")[:500])
    gid = P.identifier(request.GET.get("grid"), "grid")
    if gid is None and grids:
        gid = grids[0].pk
    ledger = None
    if gid is not None:
        _resp, ledger = ledger_response(request, gid, fmt="json")
    return render(request, "routines/ledger.html", {
        "grids": grids, "grid_id": gid, "month": f"{month:%Y-%m}", "ledger": ledger,
        "blocks": ledger_blocks(ledger) if ledger else [],
        "aggregate": scope_for(request.user).access("ledger-page") == AGGREGATE,
        "max_month": timezone.localdate().strftime("%Y-%m"),
    })
