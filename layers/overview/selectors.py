"""Reads for leaders: the ranked overview of grids at a level, and monthly assessments.

Aggregates only. The overview's figures come from the layers that own them (coverage from
subjects, case counts from incidents), both scoped to the acting user; nothing here reads
per-person rows."""
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from layers.incidents.selectors import incident_counts_by_grid
from layers.patrols.selectors import patrol_figures_by_grid
from layers.staff.scope import scope_for
from layers.staff.selectors import staffing_task_list
from layers.subjects.selectors import coverage_list

from .models import Assessment, StaffAssessment

# Columns a caller may sort by (the API and the page share them).
SORTABLE = ("code", "name", "households", "staff", "households_per_staff", "visited_within_cadence",
            "received", "open", "overdue", "escalated", "closure_rate", "on_time_rate", "satisfaction",
            "overdue_share", "patrol_hours", "raised")


@dataclass(frozen=True)
class Period:
    """Half-open [start, end) in days; `end` is the day after the last day counted."""
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.last_day.isoformat()}


def period_month(month: dt.date) -> Period:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, end)


def period_default(today: dt.date | None = None) -> Period:
    """The last 30 days up to and including today."""
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=29), today + dt.timedelta(days=1))


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def overview_list(*, user, level: int, period: Period | None = None) -> list[dict]:
    """One row per current base grid of `level` in the user's scope: households, staff,
    households per staff member, visits within cadence (at the period's last day), open, overdue
    and escalated cases now, and over the period the cases received, the closure rate (closed /
    received), the on-time rate (closed by the deadline / closed) and satisfaction (mean rating,
    1-5), and the hours of the finished patrols started in the period over the grid's subtree
    (`patrol_hours`). Flags: those of coverage (`no_staff`, `no_station`, `households_below_band`,
    `households_above_band`), `no_head` for a grid left without a head by a boundary change (an
    open staffing task), and `overdue_share_high` when overdue cases are at least
    GEOGRID_OVERDUE_SHARE_FLAG of the open ones."""
    period = period or period_default()
    today = timezone.localdate()
    as_of = min(period.last_day, today)
    cover = coverage_list(user=user, level=level, today=as_of)
    if not cover:
        return []
    ids = [r["grid_id"] for r in cover]
    # `cover` holds only grids in the user's scope: the counts are asked for exactly those.
    now_counts = incident_counts_by_grid(user=user, grid_ids=ids)
    in_period = incident_counts_by_grid(user=user, grid_ids=ids, since=_as_datetime(period.start),
                                        until=_as_datetime(period.end))
    patrols = patrol_figures_by_grid(grid_ids=ids, since=_as_datetime(period.start), until=_as_datetime(period.end))
    threshold = settings.GEOGRID_OVERDUE_SHARE_FLAG
    # A grid a boundary change left without a head carries an open staffing task until one is named.
    headless = set(staffing_task_list(user=user).filter(grid_id__in=ids).values_list("grid_id", flat=True))
    rows = []
    for c in cover:
        now, per = now_counts.get(c["grid_id"], {}), in_period.get(c["grid_id"], {})
        open_, overdue = now.get("open", 0), now.get("overdue", 0)
        flags = list(c["flags"])
        if c["grid_id"] in headless:
            flags.append("no_head")
        share = _rate(overdue, open_)
        if share is not None and share >= threshold:
            flags.append("overdue_share_high")
        rows.append({
            "grid": {"id": c["grid_id"], "code": c["code"], "name": c["name"], "level": c["level"]},
            "parent_id": c["parent_id"],
            "households": c["households"], "addresses": c["addresses"], "staff": c["staff"],
            "households_per_staff": c["households_per_staff"],
            "visited_within_cadence": c["visited_within_cadence"],
            "open": open_, "overdue": overdue, "escalated": now.get("escalated", 0),
            "overdue_share": share,
            "received": per.get("received", 0), "closed": per.get("closed", 0),
            "closed_on_time": per.get("closed_on_time", 0),
            "closure_rate": _rate(per.get("closed", 0), per.get("received", 0)),
            "on_time_rate": _rate(per.get("closed_on_time", 0), per.get("closed", 0)),
            "satisfaction": per.get("avg_rating"),
            "patrol_hours": patrols.get(c["grid_id"], patrols[None])["patrol_hours"],
            "flags": flags,
        })
    return rows


def overview_sorted(rows: list[dict], *, sort: str = "code", descending: bool = False,
                    flag: str | None = None, text: str | None = None) -> list[dict]:
    """Filter by flag and by code/name text, then sort; empty values (no cases, no staff) last."""
    if flag:
        rows = [r for r in rows if flag in r["flags"]]
    if text:
        t = text.strip().lower()
        rows = [r for r in rows if t in r["grid"]["code"].lower() or t in r["grid"]["name"].lower()]

    def value(r):
        return r["grid"][sort] if sort in ("code", "name") else r.get(sort)

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=value, reverse=descending)
    return present + missing


def assessment_list(*, user, month: dt.date, level: int) -> list[Assessment]:
    """Stored assessments of `month` for the grids of `level` in the user's scope, best first."""
    scope = scope_for(user)
    return list(Assessment.objects.filter(month=month.replace(day=1), level=level)
                .filter(scope.q("grid")).select_related("grid").order_by("rank", "grid__code"))


def staff_assessment_list(*, user, month: dt.date, level: int | None = None) -> list[StaffAssessment]:
    """Stored staff assessments of `month` on grids in the user's scope."""
    scope = scope_for(user)
    qs = (StaffAssessment.objects.filter(month=month.replace(day=1)).filter(scope.q("grid"))
          .select_related("grid", "user", "user__staff_profile"))
    if level is not None:
        qs = qs.filter(grid__level=level)
    return list(qs.order_by("-score", "grid__code", "user_id"))
