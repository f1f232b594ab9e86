"""The field pages: work queue, incident page, report page, subjects and visits. Thin: read
through selectors, let the lower layers' services and their rules decide what may happen; the
pages post to the scoped API (directly, or through the offline queue when it is there)."""
import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layers.core import params as P
from layers.grids.selectors import grids_geojson
from layers.incidents.models import RUNNING_STATUSES, EscalationLevel, IncidentClass, Status
from layers.incidents.photos import MAX_PHOTOS
from layers.incidents.selectors import incident_type_list
from layers.incidents.services import RESPONSES, can_escalate, transitions_for
from layers.staff.access import route_access
from layers.staff.models import FIELD_ROLES, Role
from layers.staff.scope import scope_for
from layers.subjects.cadence import cadence_days
from layers.subjects.masking import mask
from layers.subjects.models import Subject, SubjectCategory, VisitKind
from layers.subjects.services import SENSITIVE

from . import selectors

# Subjects per page of the visits page (a grid head has a few dozen; a station chief hundreds).
VISITS_PER_PAGE = 50


REASONS = {
    "escalated": _("escalated to me"), "overdue": _("past its deadline"), "near": _("deadline near"),
    "accept": _("to accept"), "verify": _("to verify or close"), "work": _("in handling"),
}


@login_required
@route_access
def queue_page(request):
    data = selectors.queue_get(user=request.user)
    for item in data["items"]:
        item.label = REASONS[item.reason]
    return render(request, "field/queue.html", data)


# The words on the transition buttons, by target status.
ACTION_LABELS = {
    Status.ACCEPTED: _("Accept"), Status.REJECTED: _("Reject"), Status.DISPATCHED: _("Dispatch"),
    Status.IN_PROGRESS: _("Start handling"), Status.RESOLVED: _("Resolve"), Status.VERIFIED: _("Verify on site"),
    Status.CLOSED: _("Close"), Status.REOPENED: _("Reopen"), Status.SHELVED: _("Shelve"),
}
# Targets whose form asks for a note (the service refuses these without one), and the resolution,
# whose result note and after-photo the page asks for.
NOTE_REQUIRED = {Status.REJECTED, Status.SHELVED, Status.REOPENED, Status.RESOLVED}
RESPONSE_LABELS = {"acknowledge": _("Acknowledge"), "act": _("Report action taken"), "feedback": _("Feed back")}


def _holder(incident, escalations, events) -> dict:
    """Who holds the case now: the level it was escalated to (if that level has not fed back),
    the person who took it up, and the grid's head and members."""
    latest = escalations[-1] if escalations else None
    escalated_to = None
    if latest is not None and latest.fed_back_at is None:
        escalated_to = latest.department.name if latest.department_id else (latest.grid.name if latest.grid_id else "")
    handler = None
    for e in reversed(events):
        if e.kind == "transition" and e.to_status in (Status.IN_PROGRESS, Status.DISPATCHED, Status.ACCEPTED):
            handler = e.actor
            break
    return {"escalated_to": escalated_to, "escalation": latest, "handler": handler,
            "staff": selectors.grid_staff(grid_id=incident.grid_id)}


OTHER_ROLES = {"system": _("system"), "reporter": _("reporter"), "resident": _("resident")}


def _role_word(code: str) -> str:
    """A role as a word (the log keeps codes such as grid_head, system, reporter)."""
    if not code:
        return ""
    if code in Role.values:
        return Role(code).label
    return OTHER_ROLES.get(code, code)


def _next_response(escalation) -> str | None:
    """The response the escalation waits for, in the service's order (acknowledge, act, feedback)."""
    if escalation is None:
        return None
    for action, (field, before, _kind) in RESPONSES.items():
        if getattr(escalation, field) is None and (before is None or getattr(escalation, before) is not None):
            return action
    return None


@login_required
@route_access
def incident_page(request, pk):
    incident = selectors.incident_page_get(user=request.user, pk=pk)
    events = list(selectors.incident_timeline(incident=incident))
    labels = dict(Status.choices)
    for e in events:
        e.from_status_label = labels.get(e.from_status, e.from_status)
        e.to_status_label = labels.get(e.to_status, e.to_status)
        e.role_label = _role_word(e.role)
    escalations = list(selectors.incident_escalations(incident=incident))
    after = {pid for e in events if e.kind == "transition" for pid in (e.data or {}).get("photos", [])}
    photos = [{"photo": p, "after": p.pk in after} for p in incident.photos.order_by("uploaded_at", "id")]
    holder = _holder(incident, escalations, events)
    actions = [{"to": to, "label": ACTION_LABELS.get(to, to), "note": to in NOTE_REQUIRED,
                "photo": to == Status.RESOLVED, "danger": to in (Status.REJECTED, Status.SHELVED)}
               for to in transitions_for(incident=incident, user=request.user)]
    next_level = incident.escalation_level + 1
    escalate = None
    if can_escalate(incident=incident):
        escalate = {"level": next_level, "label": EscalationLevel(next_level).label,
                    "departments": selectors.department_list() if next_level == EscalationLevel.DEPARTMENT else []}
    response = None
    if selectors.can_respond_to_escalation(user=request.user, escalation=holder["escalation"]):
        action = _next_response(holder["escalation"])
        if action:
            response = {"action": action, "label": RESPONSE_LABELS[action], "note": action == "feedback"}
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [incident.geometry.x, incident.geometry.y]},
             "properties": {}}
    return render(request, "field/incident.html", {
        "i": incident, "events": events, "escalations": escalations, "photos": photos, "holder": holder,
        "actions": actions, "escalate": escalate, "response": response, "max_photos": MAX_PHOTOS,
        "map_data": {"point": point, "grid": json.loads(grids_geojson(selectors.grid_outline(grid_id=incident.grid_id)))},
        "running": [str(s) for s in RUNNING_STATUSES],
    })


@login_required
@route_access
def report_page(request):
    types = list(incident_type_list())
    categories = [{"t": c, "children": [t for t in types if t.parent_id == c.pk]} for c in types if c.parent_id is None]
    grids = selectors.report_grids(user=request.user)
    outline = json.loads(grids_geojson(grids)) if grids.exists() else {"type": "FeatureCollection", "features": []}
    return render(request, "field/report.html", {
        "categories": categories, "classes": IncidentClass.choices, "max_photos": MAX_PHOTOS, "outline": outline,
    })


SIX_MUST_VISITS = [k for k in VisitKind.values if k != VisitKind.ROUTINE]


@login_required
@route_access
def visits_page(request):
    q = (request.GET.get("q") or "").strip()[:50] or None
    category = request.GET.get("category") or None
    if category not in SubjectCategory.values:
        category = None
    rows = selectors.subjects_with_visits(user=request.user, q=q, category=category)
    # Pages of VISITS_PER_PAGE, the most overdue first; a page past the end shows the last one.
    pages = max(1, -(-len(rows) // VISITS_PER_PAGE))
    page = min(P.integer(request.GET.get("page"), "page", default=1, minimum=1, maximum=100000), pages)
    shown = rows[(page - 1) * VISITS_PER_PAGE:page * VISITS_PER_PAGE]
    scope = scope_for(request.user)
    labels = {f: Subject._meta.get_field(f).verbose_name for f in SENSITIVE}
    for r in shown:
        # Visits and reveals are for field staff whose field assignment covers the subject.
        r["can_record"] = scope.holds(r["subject"].grid, roles=FIELD_ROLES)
        r["masked"] = [(f, labels[f], mask(f, getattr(r["subject"], f))) for f in SENSITIVE]
    return render(request, "field/visits.html", {
        "rows": shown, "count": len(rows), "overdue": sum(1 for r in rows if r["overdue"]),
        "page": page, "pages": pages, "first": (page - 1) * VISITS_PER_PAGE + 1 if shown else 0,
        "last": (page - 1) * VISITS_PER_PAGE + len(shown),
        "q": q or "", "category": category or "", "categories": SubjectCategory.choices,
        "six": [(k, VisitKind(k).label) for k in SIX_MUST_VISITS], "routine": (VisitKind.ROUTINE, VisitKind.ROUTINE.label),
        "today": timezone.localdate(), "sensitive": SENSITIVE, "cadence": cadence_days(),
    })
