"""Reads of the routines layer: meetings and their decisions, the agenda a meeting is drafted
with, and the ledger (台账) of a grid and a month.

Everything about people, incidents, visits and patrols is read through the lower layers' scoped
selectors (or, for patrol counts, through the scope itself), with the acting user: an agenda or a
ledger never shows what its reader may not see. The ledger's figures are the overview's and the
assessment's: they are read from `overview_list` / `assessment_list`, not counted again."""
import datetime as dt

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.grids.models import Grid, GridKind
from layers.incidents.models import FINAL_STATUSES, RUNNING_STATUSES
from layers.incidents.selectors import incident_counts_by_grid, incident_list
from layers.overview.selectors import Period, assessment_list, overview_list, period_month
from layers.patrols.models import Patrol
from layers.patrols.selectors import patrol_list
from layers.staff.access import AGGREGATE, NONE
from layers.staff.models import FIELD_ROLES, Role
from layers.staff.names import person_name
from layers.staff.scope import scope_for
from layers.staff.selectors import assignment_list
from layers.subjects.cadence import cadence_days
from layers.subjects.masking import mask
from layers.subjects.models import SubjectCategory
from layers.subjects.selectors import SMALL_COUNT, coverage_list, subject_list, visit_due_list, visit_list

from .models import Attendance, Decision, DecisionKind, Meeting, MeetingKind

# Who prepares and records meetings: a station chief for the station's grids, a grid head for
# their grid (and administrators). Members attend.
ORGANISERS = (Role.STATION_CHIEF, Role.GRID_HEAD)
# Items per agenda section; the rest is counted in the section's `more`.
AGENDA_SECTION_MAX = 30
SECTIONS = ("follow_up", "overdue_incidents", "open_incidents", "escalations", "patrols", "due_visits",
            "coverage_flags")


def section_labels() -> dict[str, str]:
    return {"follow_up": _("follow-up of earlier decisions"), "overdue_incidents": _("overdue incidents"),
            "open_incidents": _("open incidents"), "escalations": _("escalations in the period"),
            "patrols": _("patrols in the period"), "due_visits": _("visits due"),
            "coverage_flags": _("coverage flags")}


# --- periods -------------------------------------------------------------------------------------

def _month_start(day: dt.date, back: int = 0) -> dt.date:
    y, m = day.year, day.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1)


def meeting_period(*, kind: str, date: dt.date, grid: Grid | None = None) -> Period:
    """The period a meeting reviews: the last whole month, quarter, half-year or year before
    the meeting's own; an ad hoc meeting reviews what happened since the grid's previous meeting
    (the 30 days before it when there was none)."""
    if kind == MeetingKind.MONTHLY:
        end = _month_start(date)
        return Period(_month_start(date, 1), end)
    if kind == MeetingKind.QUARTERLY:
        end = dt.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)
        return Period(_month_start(end, 3), end)
    if kind == MeetingKind.HALF_YEARLY:
        end = dt.date(date.year, 1 if date.month <= 6 else 7, 1)
        return Period(_month_start(end, 6), end)
    if kind == MeetingKind.YEARLY:
        return Period(dt.date(date.year - 1, 1, 1), dt.date(date.year, 1, 1))
    previous = None
    if grid is not None:
        previous = (Meeting.objects.filter(grid=grid, date__lt=date).order_by("-date")
                    .values_list("date", flat=True).first())
    return Period(previous or date - dt.timedelta(days=30), date + dt.timedelta(days=1))


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- who may do what -----------------------------------------------------------------------------

def meeting_can_organise(*, user, grid: Grid) -> bool:
    """Station chiefs over the grid and the grid's own head (and administrators)."""
    scope = scope_for(user)
    return scope.is_admin or scope.holds(grid, roles=ORGANISERS)


def organiser_grid_list(*, user) -> list[Grid]:
    """The current base grids the user may schedule meetings for: the grids held as station
    chief or grid head (a chief's station grids and the grids below them)."""
    scope = scope_for(user)
    qs = Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE)
    if not scope.is_admin:
        qs = qs.filter(scope.q("", roles=ORGANISERS))
        if not scope.paths_for(*ORGANISERS):
            return []
    return list(qs.order_by("level", "code")[:500])


# --- meetings ------------------------------------------------------------------------------------

def meeting_list(*, user, grid: Grid | None = None, since: dt.date | None = None,
                 until: dt.date | None = None) -> QuerySet[Meeting]:
    """Meetings on grids in the user's scope (and those they attended), newest first;
    `grid` limits to that grid's subtree, `since`/`until` to meeting dates (until exclusive)."""
    scope = scope_for(user)
    if not scope.authenticated:
        return Meeting.objects.none()
    # The attendee's meetings by a subquery, not a join: a join would repeat each meeting once per
    # attendance row and multiply any count annotated on the list.
    attended = Attendance.objects.filter(user_id=user.pk).values("meeting_id")
    qs = Meeting.objects.filter(scope.q("grid") | Q(pk__in=attended))
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lt=until)
    return qs.select_related("grid", "created_by").order_by("-date", "-id")


def meeting_get(*, user, pk) -> Meeting:
    """One meeting the user may read; Http404 otherwise (out of scope does not exist)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404
    meeting = meeting_list(user=user).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def decision_list(*, meeting: Meeting) -> QuerySet[Decision]:
    """The decisions of a meeting already read through meeting_get (so in scope)."""
    return meeting.decisions.select_related("owner", "incident").order_by("id")


def decision_is_open(decision: Decision) -> bool:
    """Open until done; an incident-decision is done when its incident is closed or rejected."""
    if decision.kind == DecisionKind.INCIDENT and decision.incident_id:
        return decision.incident.status not in FINAL_STATUSES
    return decision.done_at is None


def decision_open_list(*, user, grid: Grid, before: dt.date | None = None,
                       exclude_meeting: int | None = None) -> list[Decision]:
    """Open decisions of earlier meetings on the grid's subtree (readable by the user), oldest
    first: what the next meeting must follow up."""
    meetings = meeting_list(user=user, grid=grid)
    if before is not None:
        meetings = meetings.filter(date__lte=before)
    if exclude_meeting is not None:
        meetings = meetings.exclude(pk=exclude_meeting)
    qs = (Decision.objects.filter(meeting__in=meetings.values("pk"))
          .select_related("meeting", "meeting__grid", "owner", "incident").order_by("meeting__date", "id"))
    return [d for d in qs if decision_is_open(d)]


def attendance_candidates(*, user, grid: Grid) -> list[dict]:
    """The field staff of the grid's subtree (station chief, heads, members): who is expected."""
    rows = (assignment_list(user=user).filter(grid__path__startswith=grid.path, role__in=[str(r) for r in FIELD_ROLES],
                                               grid__valid_to__isnull=True)
            .order_by("grid__level", "grid__code", "role", "user_id"))
    out, seen = [], set()
    for a in rows:
        if a.user_id in seen:
            continue
        seen.add(a.user_id)
        out.append({"user_id": a.user_id, "name": person_name(a.user), "role": a.role, "grid": a.grid.code})
    return out


# --- the agenda ----------------------------------------------------------------------------------

def _section(items: list[dict], total: int) -> tuple[list[dict], int]:
    return items[:AGENDA_SECTION_MAX], max(total - AGENDA_SECTION_MAX, 0)


def _incident_item(section: str, inc) -> dict:
    local = timezone.localtime(inc.reported_at)
    return {"section": section, "kind": "incident", "id": inc.pk, "ref": inc.ref or "",
            "grid": inc.grid.code, "status": inc.status,
            "text": _("%(ref)s %(type)s (%(grid)s, reported %(day)s, %(status)s): %(what)s")
            % {"ref": inc.ref or inc.pk, "type": inc.type.name, "grid": inc.grid.name,
               "day": f"{local:%Y-%m-%d}", "status": inc.get_status_display(), "what": (inc.description or "")[:80]}}


def agenda_draft(*, user, grid: Grid, period: Period, date: dt.date, exclude_meeting: int | None = None) -> list[dict]:
    """The agenda of a meeting on `grid`'s subtree reviewing `period`, from what the user may
    see: open decisions of earlier meetings (follow-up), overdue and other open incidents now,
    escalations and patrols in the period, visits due, and the coverage flags of the grids.
    Each item: section, kind, id (where it has one), text; a section cut at
    AGENDA_SECTION_MAX ends with an item of kind "more" counting the rest."""
    items: list[dict] = []

    def add(section, rows, total):
        shown, more = _section(rows, total)
        items.extend(shown)
        if more:
            items.append({"section": section, "kind": "more", "count": more,
                          "text": _("and %(n)d more") % {"n": more}})

    follow = []
    for d in decision_open_list(user=user, grid=grid, before=date, exclude_meeting=exclude_meeting):
        if d.kind == DecisionKind.INCIDENT and d.incident_id:
            state = _("incident %(ref)s: %(status)s") % {"ref": d.incident.ref, "status": d.incident.get_status_display()}
        elif d.kind == DecisionKind.TASK:
            state = _("task of %(owner)s, due %(deadline)s") % {
                "owner": person_name(d.owner) or "-", "deadline": d.deadline.isoformat() if d.deadline else "-"}
        else:
            state = _("open")
        follow.append({"section": "follow_up", "kind": "decision", "id": d.pk, "meeting": d.meeting_id,
                       "decision_kind": d.kind, "incident": d.incident_id,
                       "text": _("%(text)s (meeting of %(day)s; %(state)s)")
                       % {"text": d.text[:120], "day": d.meeting.date.isoformat(), "state": state}})
    add("follow_up", follow, len(follow))

    overdue = incident_list(user=user, grid=grid.pk, overdue=True).order_by("deadline", "id")
    add("overdue_incidents", [_incident_item("overdue_incidents", i) for i in overdue[:AGENDA_SECTION_MAX]],
        overdue.count())
    running = incident_list(user=user, grid=grid.pk, status=list(RUNNING_STATUSES), overdue=False).order_by("deadline", "id")
    add("open_incidents", [_incident_item("open_incidents", i) for i in running[:AGENDA_SECTION_MAX]], running.count())
    escalated = (incident_list(user=user, grid=grid.pk)
                 .filter(escalations__escalated_at__gte=_aware(period.start), escalations__escalated_at__lt=_aware(period.end))
                 .distinct().order_by("reported_at", "id"))
    add("escalations", [_incident_item("escalations", i) for i in escalated[:AGENDA_SECTION_MAX]], escalated.count())

    patrols = (patrol_list(user=user, since=_aware(period.start), until=_aware(period.end))
               .filter(grid__path__startswith=grid.path))
    by_member: dict[int, dict] = {}
    for p in patrols.order_by("started_at", "id"):
        m = by_member.setdefault(p.member_id, {"member": p.member, "ids": [], "seconds": 0, "metres": 0.0,
                                               "reports": 0, "open": 0})
        m["ids"].append(p.pk)
        m["reports"] += p.report_count
        m["metres"] += p.distance_m or 0
        if p.ended_at:
            m["seconds"] += (p.ended_at - p.started_at).total_seconds()
        else:
            m["open"] += 1
    patrol_items = [{"section": "patrols", "kind": "patrols", "member": uid, "patrols": m["ids"],
                     "count": len(m["ids"]), "hours": round(m["seconds"] / 3600, 1),
                     "distance_km": round(m["metres"] / 1000, 1), "reports": m["reports"],
                     "text": _("%(who)s: %(n)d patrols, %(h).1f h, %(km).1f km, %(r)d reports made")
                     % {"who": person_name(m["member"]), "n": len(m["ids"]), "h": m["seconds"] / 3600,
                        "km": m["metres"] / 1000, "r": m["reports"]}}
                    for uid, m in sorted(by_member.items(), key=lambda kv: person_name(kv[1]["member"]))]
    add("patrols", patrol_items, len(patrol_items))

    today = min(date, timezone.localdate())
    due = visit_due_list(user=user, grid_id=grid.pk, within_days=max((date - today).days, 0) + 14, today=today)
    labels = dict(SubjectCategory.choices)
    due_items = [{"section": "due_visits", "kind": "subject", "id": r["subject_id"], "overdue": r["overdue"],
                  "text": (_("%(name)s (%(cat)s, %(grid)s): overdue by %(d)d days") if r["overdue"]
                           else _("%(name)s (%(cat)s, %(grid)s): due %(due)s"))
                  % {"name": r["name"], "cat": labels.get(r["category"], r["category"]), "grid": r["grid_name"],
                     "d": r["days_overdue"], "due": r["due"].isoformat()}} for r in due]
    add("due_visits", due_items, len(due_items))

    flag_items = []
    for row in _subtree_overview(user=user, grid=grid, period=period):
        if row["flags"]:
            flag_items.append({"section": "coverage_flags", "kind": "grid", "id": row["grid"]["id"],
                               "flags": row["flags"],
                               "text": "%s %s: %s" % (row["grid"]["code"], row["grid"]["name"],
                                                      "、".join(flag_label(f) for f in row["flags"]))})
    add("coverage_flags", flag_items, len(flag_items))
    return items


def flag_label(flag: str) -> str:
    return {"no_staff": _("no staff"), "no_head": _("no grid head"), "no_station": _("no station"),
            "households_below_band": _("households below band"), "households_above_band": _("households above band"),
            "overdue_share_high": _("many overdue cases")}.get(flag, flag)


def _subtree_overview(*, user, grid: Grid, period: Period) -> list[dict]:
    """Overview rows (figures and flags) of the grid and every current base grid below it."""
    levels = sorted(set(Grid.objects.filter(path__startswith=grid.path, valid_to__isnull=True, kind=GridKind.BASE)
                        .values_list("level", flat=True)))
    ids = set(Grid.objects.filter(path__startswith=grid.path, valid_to__isnull=True).values_list("pk", flat=True))
    out = []
    for level in levels:
        out.extend(r for r in overview_list(user=user, level=level, period=period) if r["grid"]["id"] in ids)
    return out


# --- the ledger (台账) ----------------------------------------------------------------------------

def _coarse(n, suppress: bool):
    return "<10" if suppress and isinstance(n, int) and 0 < n < SMALL_COUNT else n


def patrol_figures(*, user, grid: Grid, period: Period) -> dict:
    """Finished patrols started in the period on the grid's subtree, within the user's scope:
    count, hours, kilometres. Counts only (leaders read them as the coverage figures)."""
    scope = scope_for(user)
    qs = Patrol.objects.filter(scope.q("grid"), grid__path__startswith=grid.path, ended_at__isnull=False,
                               started_at__gte=_aware(period.start), started_at__lt=_aware(period.end))
    agg = qs.aggregate(n=Count("id"), metres=Sum("distance_m"))
    seconds = sum((e - s).total_seconds() for s, e in qs.values_list("started_at", "ended_at"))
    return {"count": agg["n"], "hours": round(seconds / 3600, 2), "distance_km": round((agg["metres"] or 0) / 1000, 2)}


def ledger_get(*, user, grid: Grid, month: dt.date) -> dict:
    """The ledger of a base grid for a month, as the acting user may read it. Counts are the
    overview's and the assessment's (same selectors, same period); a reader with aggregate access
    (leaders) gets counts only, category counts coarsened by the house's small-count rule; field
    staff also get the rows behind them (subjects with sensitive fields masked, incidents,
    meetings and decisions)."""
    from layers.core.errors import RuleViolation
    from layers.overview.services import assessment_ensure

    scope = scope_for(user)
    if not scope.holds(grid):
        raise Http404
    if grid.kind != GridKind.BASE or grid.valid_to is not None:
        raise RuleViolation("ledger_grid", _("A ledger is kept for current base grids only"), grids=[grid.code])
    access = scope.access("ledger")
    rows_allowed = access not in (AGGREGATE, NONE)
    period = period_month(month)
    today = timezone.localdate()
    as_of = min(period.last_day, today)
    row = next((r for r in overview_list(user=user, level=grid.level, period=period) if r["grid"]["id"] == grid.pk), None)
    cover = next((r for r in coverage_list(user=user, level=grid.level, today=as_of) if r["grid_id"] == grid.pk), None)
    if row is None or cover is None:
        raise Http404
    in_period = incident_counts_by_grid(user=user, grid_ids=[grid.pk], since=_aware(period.start),
                                        until=_aware(period.end)).get(grid.pk, {})
    assessment_ensure(month=period.start)
    assessed = next((a for a in assessment_list(user=user, month=period.start, level=grid.level)
                     if a.grid_id == grid.pk), None)
    # The small-count rule is for readers of counts only (leaders above the grid head's level);
    # field staff who read the rows read exact counts.
    suppress = not rows_allowed and not scope.sees_small_counts

    # Visits: made in the month; missed = subjects not visited within their cadence at the
    # month's last day (the overview's "visits within cadence", counted instead of shared).
    cadence = cadence_days()
    subjects = list(subject_list(user=user, grid_id=grid.pk).annotate(last_visit=Max("visits__date")))
    visited = sum(1 for s in subjects if s.last_visit and s.last_visit > as_of - dt.timedelta(days=cadence.get(s.category, 90)))
    made = visit_list(user=user).filter(subject__grid__path__startswith=grid.path, date__gte=period.start,
                                        date__lt=period.end).count()
    meetings = list(meeting_list(user=user, grid=grid, since=period.start, until=period.end)
                    .annotate(n_decisions=Count("decisions")))
    decisions = list(Decision.objects.filter(meeting__in=[m.pk for m in meetings])
                     .select_related("meeting", "owner", "incident").order_by("meeting__date", "id"))
    labels = dict(SubjectCategory.choices)
    out = {
        "grid": {"id": grid.pk, "code": grid.code, "name": grid.name, "level": grid.level},
        "month": f"{period.start:%Y-%m}", "period": period.as_dict(), "access": access,
        "small_counts_suppressed": suppress,
        "households": {"households": row["households"], "addresses": row["addresses"], "staff": row["staff"],
                       "households_per_staff": row["households_per_staff"]},
        "subjects": {"total": cover["subjects"] if suppress else len(subjects),
                     "by_category": [{"category": c, "label": str(labels.get(c, c)),
                                      "count": n if suppress else sum(1 for s in subjects if s.category == c)}
                                     for c, n in cover["subjects_by_category"].items()]},
        "visits": {"made": _coarse(made, suppress), "missed": _coarse(len(subjects) - visited, suppress),
                   "visited_within_cadence": row["visited_within_cadence"]},
        "patrols": patrol_figures(user=user, grid=grid, period=period),
        "incidents": {"received": row["received"], "handled": row["closed"], "closed": row["closed"],
                      "closed_on_time": row["closed_on_time"], "escalated": in_period.get("escalated", 0),
                      "closure_rate": row["closure_rate"], "on_time_rate": row["on_time_rate"],
                      "satisfaction": row["satisfaction"], "open_now": row["open"], "overdue_now": row["overdue"]},
        "meetings": {"held": sum(1 for m in meetings if m.held), "scheduled": len(meetings),
                     "decisions": len(decisions),
                     "decisions_open": sum(1 for d in decisions if decision_is_open(d)),
                     "tasks": sum(1 for d in decisions if d.kind == DecisionKind.TASK),
                     "incidents": sum(1 for d in decisions if d.kind == DecisionKind.INCIDENT)},
        "assessment": {"score": assessed.score if assessed else None, "rank": assessed.rank if assessed else None},
        "flags": row["flags"],
    }
    if rows_allowed:
        out["subjects"]["rows"] = [
            {"id": s.pk, "name": s.name, "category": str(labels.get(s.category, s.category)),
             "address": s.address.full_text, "grid": s.grid.code if s.grid_id else "",
             "phone": mask("phone", s.phone), "id_number": mask("id_number", s.id_number),
             "last_visit": s.last_visit.isoformat() if s.last_visit else None} for s in subjects]
        out["incidents"]["rows"] = [
            {"id": i.pk, "ref": i.ref, "type": i.type.name, "grid": i.grid.code, "status": str(i.get_status_display()),
             "reported_at": f"{timezone.localtime(i.reported_at):%Y-%m-%d %H:%M}",
             "escalated": i.escalation_level > 0, "overdue": bool(i.is_overdue)}
            for i in incident_list(user=user, grid=grid.pk, since=period.start, until=period.end).order_by("reported_at", "id")]
        out["meetings"]["rows"] = [
            {"id": m.pk, "date": m.date.isoformat(), "kind": str(m.get_kind_display()), "grid": m.grid.code,
             "held": m.held, "decisions": m.n_decisions} for m in meetings]
        out["meetings"]["decision_rows"] = [
            {"id": d.pk, "meeting": d.meeting_id, "date": d.meeting.date.isoformat(), "text": d.text,
             "kind": str(d.get_kind_display()), "owner": person_name(d.owner), "deadline":
             d.deadline.isoformat() if d.deadline else None, "incident": d.incident.ref if d.incident_id else None,
             "open": decision_is_open(d)} for d in decisions]
    return out
