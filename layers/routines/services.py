"""Writes of the routines layer: scheduling a meeting (with its drafted agenda), recording it
(attendance, minutes, held), its decisions, and following them up: a task with an owner and a
deadline, or an incident taken in through the incidents intake (incident_intake), never a copy
of it."""
import datetime as dt
import hashlib
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.grids.models import Grid, GridKind
from layers.incidents.models import Source
from layers.incidents.services import incident_intake

from .models import Attendance, Decision, DecisionKind, Meeting, MeetingKind
from .selectors import agenda_draft, attendance_candidates, meeting_can_organise, meeting_period

# How far ahead a meeting may be scheduled, and how far back one may be recorded.
MAX_DAYS_AHEAD = 366
MAX_DAYS_BACK = 366 * 2


class NotOrganiser(RuleViolation):
    """In scope, but not a station chief or grid head of the meeting's grid."""
    status = 403


def _require_organiser(user, grid: Grid) -> None:
    if not meeting_can_organise(user=user, grid=grid):
        raise NotOrganiser("meeting_organiser", _("Only the station chief or the grid head of %(grid)s may do this")
                           % {"grid": grid.name}, grids=[grid.code])


@transaction.atomic
def meeting_schedule(*, user, grid: Grid, kind: str, date: dt.date, place: str = "") -> Meeting:
    """Schedule a meeting on a grid subtree and draft its agenda from what the scheduler may see
    of the period it reviews; the subtree's field staff are listed as expected attendees."""
    if kind not in MeetingKind.values:
        raise RuleViolation("meeting_kind", _("Unknown meeting kind %(kind)s; use one of %(all)s")
                            % {"kind": kind, "all": ", ".join(MeetingKind.values)})
    if grid.valid_to is not None or grid.kind != GridKind.BASE:
        raise RuleViolation("meeting_grid", _("Meetings are held for current base grids"), grids=[grid.code])
    _require_organiser(user, grid)
    today = timezone.localdate()
    if not (today - dt.timedelta(days=MAX_DAYS_BACK) <= date <= today + dt.timedelta(days=MAX_DAYS_AHEAD)):
        raise RuleViolation("meeting_date", _("The meeting date must lie within two years back and one year ahead"))
    period = meeting_period(kind=kind, date=date, grid=grid)
    meeting = Meeting(grid=grid, kind=kind, date=date, place=(place or "").strip()[:200],
                      period_start=period.start, period_end=period.end, created_by=user)
    meeting.full_clean()
    meeting.save()
    meeting.agenda = agenda_draft(user=user, grid=grid, period=period, date=date, exclude_meeting=meeting.pk)
    meeting.save(update_fields=["agenda"])
    Attendance.objects.bulk_create([Attendance(meeting=meeting, user_id=c["user_id"], name=c["name"][:100],
                                               role=c["role"]) for c in attendance_candidates(user=user, grid=grid)])
    return meeting


@transaction.atomic
def meeting_redraft(*, user, meeting: Meeting) -> Meeting:
    """Draft the agenda again (before the meeting, when things moved since scheduling)."""
    _require_organiser(user, meeting.grid)
    if meeting.held:
        raise RuleViolation("meeting_held", _("The meeting was held; its agenda is kept as it was"))
    period = meeting_period(kind=meeting.kind, date=meeting.date, grid=meeting.grid)
    meeting.agenda = agenda_draft(user=user, grid=meeting.grid, period=period, date=meeting.date,
                                  exclude_meeting=meeting.pk)
    meeting.save(update_fields=["agenda", "updated_at"])
    return meeting


@transaction.atomic
def meeting_record(*, user, meeting: Meeting, minutes: str | None = None, present: list[int] | None = None,
                   guests: list[str] | None = None, held: bool | None = None, place: str | None = None) -> Meeting:
    """Record what happened: minutes, who was present (user ids among the expected), guests
    without an account (names), and that the meeting was held."""
    _require_organiser(user, meeting.grid)
    if minutes is not None:
        meeting.minutes = minutes.strip()
    if place is not None:
        meeting.place = place.strip()[:200]
    if held is not None:
        meeting.held = held
    meeting.full_clean()
    meeting.save()
    if present is not None:
        expected = set(meeting.attendances.filter(user__isnull=False).values_list("user_id", flat=True))
        unknown = sorted(set(present) - expected)
        if unknown:
            raise RuleViolation("attendance_unknown", _("Not among the expected attendees: %(ids)s")
                                % {"ids": ", ".join(map(str, unknown))})
        meeting.attendances.filter(user__isnull=False).update(present=False)
        meeting.attendances.filter(user_id__in=present).update(present=True)
    for name in guests or []:
        name = (name or "").strip()[:100]
        if name and not meeting.attendances.filter(user__isnull=True, name=name).exists():
            Attendance.objects.create(meeting=meeting, name=name, role="guest", present=True)
    return meeting


def _owner(meeting: Meeting, owner_id: int | None):
    """A task's owner: one of the meeting's attendees with an account."""
    if owner_id is None:
        raise RuleViolation("task_owner", _("A task needs an owner"))
    att = meeting.attendances.filter(user_id=owner_id).select_related("user").first()
    if att is None:
        raise RuleViolation("task_owner", _("The owner must be one of the meeting's attendees"))
    return att.user


@transaction.atomic
def decision_add(*, user, meeting: Meeting, text: str, kind: str = DecisionKind.RECORD, owner_id: int | None = None,
                 deadline: dt.date | None = None, incident: dict | None = None) -> Decision:
    """Record a decision; as a task (owner + deadline) or turned at once into an incident
    (`incident`: the intake fields, see decision_to_incident)."""
    _require_organiser(user, meeting.grid)
    text = (text or "").strip()
    if not text:
        raise RuleViolation("decision_text", _("Write down what was decided"))
    if kind not in DecisionKind.values:
        raise RuleViolation("decision_kind", _("Unknown decision kind %(kind)s; use one of %(all)s")
                            % {"kind": kind, "all": ", ".join(DecisionKind.values)})
    decision = Decision(meeting=meeting, text=text, created_by=user)
    decision.full_clean()
    decision.save()
    if kind == DecisionKind.TASK:
        decision_to_task(user=user, decision=decision, owner_id=owner_id, deadline=deadline)
    elif kind == DecisionKind.INCIDENT:
        decision_to_incident(user=user, decision=decision, **(incident or {}))
    return decision


@transaction.atomic
def decision_to_task(*, user, decision: Decision, owner_id: int | None, deadline: dt.date | None) -> Decision:
    _require_organiser(user, decision.meeting.grid)
    if decision.kind == DecisionKind.INCIDENT:
        raise RuleViolation("decision_incident", _("This decision is already an incident"))
    if deadline is None:
        raise RuleViolation("task_deadline", _("A task needs a deadline"))
    if deadline < decision.meeting.date:
        raise RuleViolation("task_deadline", _("The deadline cannot be before the meeting"))
    decision.owner = _owner(decision.meeting, owner_id)
    decision.deadline = deadline
    decision.kind = DecisionKind.TASK
    decision.save(update_fields=["owner", "deadline", "kind"])
    return decision


def _point_in(grid: Grid) -> tuple[float, float]:
    p = grid.geometry.point_on_surface
    return p.x, p.y


@transaction.atomic
def decision_to_incident(*, user, decision: Decision, type=None, incident_class: str = "general",
                         lon=None, lat=None, crs: str | None = "wgs84", address=None, grid: int | None = None,
                         description: str | None = None) -> Decision:
    """Turn a decision into an incident through the incidents intake: the place is a point
    (lon/lat in `crs`), a registry address, or a micro-grid of the meeting's subtree (a point
    inside it); a micro-grid meeting may give none (its own grid). The incident must land in the
    meeting's subtree, so the next meeting follows it up. Taking in twice is refused."""
    meeting = decision.meeting
    _require_organiser(user, meeting.grid)
    if decision.incident_id:
        raise RuleViolation("decision_incident", _("This decision is already an incident"))
    if lon is None and lat is None and address in (None, ""):
        target = meeting.grid
        if grid is not None:
            target = Grid.objects.filter(pk=grid, valid_to__isnull=True, path__startswith=meeting.grid.path).first()
            if target is None:
                raise RuleViolation("decision_place", _("The grid must be one of the meeting's grids"))
        if Grid.objects.filter(parent=target, valid_to__isnull=True, kind=GridKind.BASE).exists():
            raise RuleViolation("decision_place", _("Say where: a point, an address, or a micro-grid of the meeting"))
        lon, lat = _point_in(target)
        crs = "cgcs2000"
    fields = {"lon": lon, "lat": lat, "crs": crs or "wgs84", "address": address or None,
              "description": (description or decision.text).strip(), "incident_class": incident_class or "general",
              "type": type, "source": Source.GRID_PATROL}
    body_hash = hashlib.sha256(json.dumps({k: str(v) for k, v in fields.items()}, sort_keys=True).encode()).hexdigest()
    incident, _created = incident_intake(user=user, idempotency_key=f"meeting-decision-{decision.pk}",
                                         body_hash=body_hash, **fields)
    if not incident.grid.path.startswith(meeting.grid.path):
        raise RuleViolation("decision_place", _("The place lies outside the meeting's grids (it belongs to %(grid)s)")
                            % {"grid": incident.grid.name}, grids=[incident.grid.code])
    decision.incident = incident
    decision.kind = DecisionKind.INCIDENT
    decision.save(update_fields=["incident", "kind"])
    return decision


@transaction.atomic
def decision_done(*, user, decision: Decision, note: str = "") -> Decision:
    """A task's owner or an organiser marks a decision done (an incident-decision is done when
    its incident closes)."""
    if decision.kind == DecisionKind.INCIDENT:
        raise RuleViolation("decision_incident", _("This decision follows its incident; close the incident instead"))
    if decision.owner_id != getattr(user, "pk", None):
        _require_organiser(user, decision.meeting.grid)
    if decision.done_at is not None:
        raise RuleViolation("decision_done", _("This decision is already done"))
    decision.done_at = timezone.now()
    decision.done_note = (note or "").strip()
    decision.save(update_fields=["done_at", "done_note"])
    return decision
