"""Meetings, decisions and ledgers over the API. Thin: parse with layers.core.params, call a
selector or service, shape the answer."""
import datetime as dt

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.audit.services import audit_record
from layers.core import params as P
from layers.core.paging import envelope, paginate
from layers.core.errors import RuleViolation
from layers.core.exports import bounded_export
from layers.core.ratelimits import export_refusal
from layers.grids.models import Grid
from layers.staff.names import person_name
from layers.staff.scope import scope_for

from .. import selectors, services
from ..exports import ledger_pdf, ledger_xlsx
from ..models import DecisionKind

def decision_json(d) -> dict:
    return {"id": d.pk, "meeting": d.meeting_id, "text": d.text, "kind": d.kind,
            "owner": d.owner_id, "owner_name": person_name(d.owner) if d.owner_id else None,
            "deadline": d.deadline.isoformat() if d.deadline else None,
            "incident": ({"id": d.incident_id, "ref": d.incident.ref, "status": d.incident.status,
                          "grid": d.incident.grid.code} if d.incident_id else None),
            "open": selectors.decision_is_open(d),
            "done_at": d.done_at.isoformat() if d.done_at else None, "done_note": d.done_note}


def meeting_json(m, *, full: bool = True) -> dict:
    out = {"id": m.pk, "grid": {"id": m.grid_id, "code": m.grid.code, "name": m.grid.name, "level": m.grid.level},
           "kind": m.kind, "kind_label": str(m.get_kind_display()), "date": m.date.isoformat(),
           "period": {"start": m.period_start.isoformat(),
                      "end": (m.period_end - dt.timedelta(days=1)).isoformat()},
           "place": m.place, "held": m.held}
    if full:
        out["agenda"] = m.agenda
        out["minutes"] = m.minutes
        out["attendance"] = [{"user": a.user_id, "name": a.name, "role": a.role, "present": a.present}
                             for a in m.attendances.all()]
        out["decisions"] = [decision_json(d) for d in selectors.decision_list(meeting=m)]
    return out


def _body(request) -> dict:
    return P.body_object(request.data)


def _int_list(value, name) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 500:
        raise RuleViolation("bad_parameter", _("%(name)s must be a list of ids") % {"name": name},
                            extra={"parameter": name})
    ids = [P.identifier(v, name) for v in value]
    if None in ids:
        raise RuleViolation("bad_parameter", _("%(name)s must be a list of ids") % {"name": name},
                            extra={"parameter": name})
    return ids


def _incident_fields(data: dict) -> dict:
    src = data.get("incident") if isinstance(data.get("incident"), dict) else data
    out = {}
    for k in ("type", "incident_class", "crs", "description"):
        v = P.text(src.get(k), k, max_length=5000 if k == "description" else 64)
        if v is not None:
            out[k] = v
    for k in ("lon", "lat"):
        v = P.number(src.get(k), k)
        if v is not None:
            out[k] = v
    for k in ("address", "grid"):
        v = P.identifier(src.get(k), k)
        if v is not None:
            out[k] = v
    return out


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("grid", int), OpenApiParameter("since", str),
                                                  OpenApiParameter("until", str)], responses=OpenApiTypes.OBJECT),
                    post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class MeetingListView(APIView):
    """GET: meetings in your scope (?grid=&since=&until=). POST {"grid": id, "kind": "monthly",
    "date": "YYYY-MM-DD", "place"?}: schedule one; 201 with the drafted "agenda"."""

    def get(self, request):
        p = request.query_params
        grid = None
        if p.get("grid") not in (None, ""):
            gid = P.identifier(p.get("grid"), "grid")
            grid = Grid.objects.filter(pk=gid).first()
            if grid is None:
                raise Http404
        qs = selectors.meeting_list(user=request.user, grid=grid, since=P.date(p.get("since"), "since"),
                                    until=P.date(p.get("until"), "until"))
        page = paginate(request, qs, default=200, maximum=1000)
        return Response(envelope(page, [meeting_json(m, full=False) for m in page.rows]))

    def post(self, request):
        d = _body(request)
        gid = P.identifier(d.get("grid"), "grid")
        if gid is None:
            raise RuleViolation("bad_parameter", _("%(name)s is required") % {"name": "grid"}, extra={"parameter": "grid"})
        grid = Grid.objects.filter(pk=gid).first()
        if grid is None or not scope_for(request.user).holds(grid):
            raise Http404
        kind = P.choice(d.get("kind"), "kind", ("monthly", "quarterly", "half_yearly", "yearly", "ad_hoc"))
        if kind is None:
            raise RuleViolation("bad_parameter", _("%(name)s is required") % {"name": "kind"}, extra={"parameter": "kind"})
        day = P.date(d.get("date"), "date")
        if day is None:
            raise RuleViolation("bad_parameter", _("%(name)s is required") % {"name": "date"}, extra={"parameter": "date"})
        meeting = services.meeting_schedule(user=request.user, grid=grid, kind=kind, date=day,
                                            place=P.text(d.get("place"), "place", max_length=200) or "")
        return Response(meeting_json(meeting), status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT),
                    patch=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class MeetingDetailView(APIView):
    """GET one meeting; PATCH {"minutes", "present": [user ids], "guests": [names], "held", "place"}."""

    def get(self, request, pk):
        return Response(meeting_json(selectors.meeting_get(user=request.user, pk=pk)))

    def patch(self, request, pk):
        meeting = selectors.meeting_get(user=request.user, pk=pk)
        d = _body(request)
        guests = d.get("guests")
        if guests is not None and (not isinstance(guests, list) or len(guests) > 100):
            raise RuleViolation("bad_parameter", _("guests must be a list of names"), extra={"parameter": "guests"})
        services.meeting_record(user=request.user, meeting=meeting,
                                minutes=P.text(d.get("minutes"), "minutes", max_length=20000)
                                if "minutes" in d else None,
                                present=_int_list(d.get("present"), "present"),
                                guests=[P.text(g, "guests", max_length=100) or "" for g in guests or []],
                                held=P.boolean(d.get("held"), "held"),
                                place=P.text(d.get("place"), "place", max_length=200) if "place" in d else None)
        return Response(meeting_json(selectors.meeting_get(user=request.user, pk=pk)))


@extend_schema_view(post=extend_schema(request=None, responses=OpenApiTypes.OBJECT))
class MeetingAgendaView(APIView):
    """POST: draft the agenda again (before the meeting is held)."""

    def post(self, request, pk):
        meeting = selectors.meeting_get(user=request.user, pk=pk)
        services.meeting_redraft(user=request.user, meeting=meeting)
        return Response(meeting_json(selectors.meeting_get(user=request.user, pk=pk)))


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT),
                    post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class DecisionListView(APIView):
    """GET the meeting's decisions. POST {"text", "kind": "record"|"task"|"incident", "owner",
    "deadline", and for an incident "type" with "lon"/"lat"[/"crs"], "address" or "grid"}."""

    def get(self, request, pk):
        meeting = selectors.meeting_get(user=request.user, pk=pk)
        return Response({"results": [decision_json(d) for d in selectors.decision_list(meeting=meeting)]})

    def post(self, request, pk):
        meeting = selectors.meeting_get(user=request.user, pk=pk)
        d = _body(request)
        kind = P.choice(d.get("kind"), "kind", DecisionKind.values, default=DecisionKind.RECORD)
        decision = services.decision_add(
            user=request.user, meeting=meeting, text=P.text(d.get("text"), "text", max_length=5000) or "", kind=kind,
            owner_id=P.identifier(d.get("owner"), "owner"), deadline=P.date(d.get("deadline"), "deadline"),
            incident=_incident_fields(d) if kind == DecisionKind.INCIDENT else None)
        decision = selectors.decision_list(meeting=meeting).get(pk=decision.pk)
        return Response(decision_json(decision), status=status.HTTP_201_CREATED)


def _decision(request, meeting_pk, pk):
    meeting = selectors.meeting_get(user=request.user, pk=meeting_pk)
    decision = selectors.decision_list(meeting=meeting).filter(pk=P.identifier(pk, "decision")).first()
    if decision is None:
        raise Http404
    return meeting, decision


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class DecisionIncidentView(APIView):
    """POST {"type", "lon"/"lat"[/"crs"] | "address" | "grid", "incident_class"?}: the decision
    becomes an incident, taken in by the incidents intake."""

    def post(self, request, pk, decision_pk):
        meeting, decision = _decision(request, pk, decision_pk)
        services.decision_to_incident(user=request.user, decision=decision, **_incident_fields(_body(request)))
        return Response(decision_json(selectors.decision_list(meeting=meeting).get(pk=decision.pk)),
                        status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class DecisionTaskView(APIView):
    """POST {"owner": user id, "deadline": "YYYY-MM-DD"}: the decision becomes a task."""

    def post(self, request, pk, decision_pk):
        meeting, decision = _decision(request, pk, decision_pk)
        d = _body(request)
        services.decision_to_task(user=request.user, decision=decision, owner_id=P.identifier(d.get("owner"), "owner"),
                                  deadline=P.date(d.get("deadline"), "deadline"))
        return Response(decision_json(selectors.decision_list(meeting=meeting).get(pk=decision.pk)))


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class DecisionDoneView(APIView):
    """POST {"note"?}: the task's owner (or an organiser) reports the decision done."""

    def post(self, request, pk, decision_pk):
        meeting, decision = _decision(request, pk, decision_pk)
        services.decision_done(user=request.user, decision=decision,
                               note=P.text(_body(request).get("note"), "note", max_length=5000) or "")
        return Response(decision_json(selectors.decision_list(meeting=meeting).get(pk=decision.pk)))


def parse_month(value) -> dt.date:
    """YYYY-MM, from 2000-01 to the current month; default the last month."""
    if value in (None, ""):
        return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    text = value if isinstance(value, str) else ""
    try:
        if len(text) != 7:
            raise ValueError
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise RuleViolation("bad_parameter", _("month must be YYYY-MM, e.g. 2026-11"), extra={"parameter": "month"})
    if month.year < 2000 or month > timezone.localdate().replace(day=1):
        raise RuleViolation("bad_parameter", _("month must be between 2000-01 and the current month"),
                            extra={"parameter": "month"})
    return month


def ledger_response(request, grid_id, *, fmt: str):
    """The ledger of a grid for ?month= as JSON, XLSX or PDF (shared by the API and the page)."""
    month = parse_month(request.GET.get("month"))
    gid = P.identifier(str(grid_id), "grid")
    grid = Grid.objects.filter(pk=gid).first()
    if grid is None:
        raise Http404
    if fmt != "json" and (refused := export_refusal(request)) is not None:
        return refused
    with bounded_export():
        ledger = selectors.ledger_get(user=request.user, grid=grid, month=month)
    if fmt == "json":
        return None, ledger
    name = f"ledger-{grid.code}-{ledger['month']}"
    if fmt == "xlsx":
        resp = HttpResponse(ledger_xlsx(ledger),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        resp = HttpResponse(ledger_pdf(ledger, request=request), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    resp["Cache-Control"] = "no-store"
    audit_record(action="export", request=request, target_type="routines.ledger", target_id=str(grid.pk),
                 month=ledger["month"], format=fmt)
    return resp, ledger


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM"),
                                                  OpenApiParameter("format", str, enum=["json", "xlsx", "pdf"])],
                                      responses=OpenApiTypes.OBJECT))
class LedgerView(APIView):
    """GET ?month=YYYY-MM[&format=xlsx|pdf]: the grid's ledger (台账) for the month (default last
    month); counts equal the overview's and the assessment's for the same grid and month."""

    def get(self, request, grid_id):
        fmt = P.choice(request.query_params.get("format"), "format", ("json", "xlsx", "pdf"), default="json")
        resp, ledger = ledger_response(request, grid_id, fmt=fmt)
        return resp if resp is not None else Response(ledger)
