"""Reads for the field pages. Everything goes through the acting user's scope (scope_for) and
the lower layers' selectors; nothing here decides a workflow rule."""
import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from layers.grids.models import Grid
from layers.incidents.models import FINAL_STATUSES, Department, Escalation, Incident, IncidentEvent, Status
from layers.incidents.selectors import RESPONDER_ROLES, escalation_may_respond, incident_get, incident_list
from layers.patrols.selectors import patrol_open_get
from layers.staff.models import Assignment, Role
from layers.staff.scope import scope_for
from layers.subjects.selectors import subject_list, visit_due_list

# A running case whose deadline falls within this many hours is "near its deadline".
NEAR_DEADLINE_HOURS = 24
# Which statuses wait for whom: members work cases; those who answer for the grid also verify and close.
WORK_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED)
SUPERVISE_STATUSES = (Status.RESOLVED, Status.VERIFIED)
SUPERVISING_ROLES = (Role.GRID_HEAD, Role.STATION_CHIEF)


def _escalated_to_me_q(user) -> Q:
    """Cases whose latest escalation reached a grid the user answers for as a responder (an
    administrator answers every level) and has not been fed back yet."""
    scope = scope_for(user)
    later = Escalation.objects.filter(incident=OuterRef("incident"), escalated_at__gt=OuterRef("escalated_at"))
    targets = Escalation.objects.filter(incident=OuterRef("pk"), fed_back_at__isnull=True).filter(~Exists(later))
    if not scope.is_admin:
        paths = scope.paths_for(*RESPONDER_ROLES)
        if not paths:
            return Q(pk__in=[])
        grid_q = Q()
        for p in paths:
            grid_q |= Q(grid__path__startswith=p)
        targets = targets.filter(grid_q)
    return Q(Exists(targets))


def queue_incidents(*, user) -> QuerySet[Incident]:
    """The cases that wait for this user: running cases in their grids, resolved ones to verify
    or close for a grid head or station chief, and cases escalated to a level they answer for.
    Ordered by urgency: escalated to me, overdue (longest first), then nearest deadline."""
    scope = scope_for(user)
    statuses = list(WORK_STATUSES)
    supervise_q = Q(pk__in=[])
    if scope.is_admin or scope.has_role(*SUPERVISING_ROLES):
        supervise_q = Q(status__in=SUPERVISE_STATUSES) & (Q() if scope.is_admin else scope.q("grid", roles=SUPERVISING_ROLES))
    escalated = _escalated_to_me_q(user)
    qs = incident_list(user=user).filter(Q(status__in=statuses) | supervise_q | (escalated & ~Q(status__in=FINAL_STATUSES)))
    qs = qs.annotate(escalated_to_me=escalated)
    return qs.order_by("-escalated_to_me", "-is_overdue", "deadline", "id")


def queue_count(*, user) -> int:
    """How many cases wait for the user (the badge in the navigation)."""
    scope = scope_for(user)
    if not scope.is_field:
        return 0
    return queue_incidents(user=user).count()


@dataclass
class QueueItem:
    incident: Incident
    reason: str  # escalated / overdue / near / accept / verify / work
    escalated_to_me: bool


def _reason(i: Incident, now: dt.datetime) -> str:
    if getattr(i, "escalated_to_me", False):
        return "escalated"
    if i.overdue:
        return "overdue"
    if i.status in WORK_STATUSES and i.deadline and i.deadline <= now + dt.timedelta(hours=NEAR_DEADLINE_HOURS):
        return "near"
    if i.status == Status.REPORTED:
        return "accept"
    if i.status in SUPERVISE_STATUSES:
        return "verify"
    return "work"


def queue_get(*, user, limit: int = 100, visits_within_days: int = 14) -> dict:
    """The work queue page: cases (urgent first) with the reason each waits, the visits due
    and overdue for the user's subjects, and the user's running patrol if any."""
    now = timezone.now()
    qs = queue_incidents(user=user)
    rows = list(qs[:limit])
    items = [QueueItem(incident=i, reason=_reason(i, now), escalated_to_me=bool(i.escalated_to_me)) for i in rows]
    visits = visit_due_list(user=user, within_days=visits_within_days)
    return {"items": items, "count": qs.count(), "visits": visits,
            "visits_overdue": sum(1 for v in visits if v["overdue"]), "patrol": open_patrol(user=user)}


def open_patrol(*, user):
    """The user's running patrol through the patrols layer's selector (None when none runs)."""
    return patrol_open_get(user=user)


def incident_page_get(*, user, pk) -> Incident:
    """The incident for its page: in scope or 404 (the same selector as the API)."""
    return incident_get(user=user, pk=pk)


def incident_timeline(*, incident: Incident) -> QuerySet[IncidentEvent]:
    """The whole append-only log of a case, oldest first, with the actors."""
    return IncidentEvent.of(incident).select_related("actor").order_by("at", "id")


def incident_escalations(*, incident: Incident) -> QuerySet[Escalation]:
    return incident.escalations.select_related("grid", "department", "escalated_by").order_by("escalated_at", "id")


def grid_staff(*, grid_id: int, roles=(Role.GRID_HEAD, Role.GRID_MEMBER)) -> list[Assignment]:
    """Who works a micro-grid (for "who holds it now" on an incident already read in scope)."""
    return list(Assignment.objects.filter(grid_id=grid_id, role__in=list(roles), active=True, user__is_active=True)
                .select_related("user").order_by("role", "user__last_name", "user__first_name"))


def can_respond_to_escalation(*, user, escalation: Escalation | None) -> bool:
    """Whether the page offers the next response: the escalation still waits for its feedback
    and the user answers for the level it reached (incidents.selectors.escalation_may_respond,
    the rule the service enforces)."""
    if escalation is None or escalation.fed_back_at is not None:
        return False
    return escalation_may_respond(user=user, escalation=escalation)


def subjects_with_visits(*, user, q: str | None = None, category: str | None = None) -> list[dict]:
    """The user's subjects, each with its cadence, last visit and next due date, overdue first."""
    subjects = {s.pk: s for s in subject_list(user=user, category=category, q=q)}
    plan = {r["subject_id"]: r for r in visit_due_list(user=user, within_days=36500)}
    rows = []
    for pk, s in subjects.items():
        p = plan.get(pk)
        if p is None:
            continue
        rows.append({"subject": s, **p})
    rows.sort(key=lambda r: (not r["overdue"], r["due"], r["subject_id"]))
    return rows


def report_grids(*, user) -> QuerySet:
    """The grids drawn under the report map: the ones the user is assigned to (or the top grid
    for an administrator)."""
    scope = scope_for(user)
    if scope.is_admin:
        return scope.grids().filter(parent__isnull=True)
    return scope.grids().filter(pk__in=list(scope.grid_levels))


def department_list() -> QuerySet[Department]:
    """The functional departments a case can be escalated to."""
    return Department.objects.order_by("code")


def grid_outline(*, grid_id: int) -> QuerySet[Grid]:
    return Grid.objects.filter(pk=grid_id)
