"""Writes of the overview layer: the monthly assessment (考核) of every grid and staff member."""
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.db.models import Count

from layers.grids.models import Grid, GridKind
from layers.incidents.models import EventKind, IncidentEvent, Status
from layers.staff.models import Assignment, Role
from layers.staff.scope import SYSTEM
from layers.subjects.models import Visit

from .models import Assessment, ExportJob, ExportStatus, StaffAssessment
from .selectors import overview_list, period_month

INDICATORS = ("closure_rate", "on_time_rate", "satisfaction", "visit_coverage", "staffing")


def assessment_weights() -> dict[str, float]:
    """The weights in force (settings GEOGRID_ASSESSMENT_WEIGHTS), only known indicators."""
    w = settings.GEOGRID_ASSESSMENT_WEIGHTS
    return {k: float(w.get(k, 0)) for k in INDICATORS}


def _grid_indicators(row: dict) -> dict:
    """Each indicator on 0..1 (None where there is nothing to judge, e.g. no case received)."""
    norm = settings.GEOGRID_HOUSEHOLDS_PER_STAFF_NORM
    hps = row["households_per_staff"]
    staffing = 0.0 if not row["staff"] else (1.0 if hps is None or hps <= norm else round(norm / hps, 3))
    sat = row["satisfaction"]
    return {"closure_rate": row["closure_rate"], "on_time_rate": row["on_time_rate"],
            "satisfaction": round((sat - 1) / 4, 3) if sat is not None else None,
            "visit_coverage": row["visited_within_cadence"], "staffing": staffing}


def assessment_score(values: dict, weights: dict) -> float | None:
    """100 x the weighted mean of the indicators that have a value; indicators without one
    (no cases, no subjects) leave the mean instead of counting as zero."""
    used = [(weights[k], v) for k, v in values.items() if v is not None and weights.get(k)]
    total = sum(w for w, _ in used)
    return round(100 * sum(w * v for w, v in used) / total, 1) if total else None


@transaction.atomic
def assessment_compute(*, month: dt.date, levels: list[int] | None = None) -> int:
    """Compute and store the assessment of `month` for every current base grid (of `levels`,
    default all) and every active grid head and member; returns the number of grid rows.
    Re-running a month replaces its rows."""
    month = month.replace(day=1)
    period = period_month(month)
    weights = assessment_weights()
    if levels is None:
        levels = sorted(set(Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE)
                            .values_list("level", flat=True)))
    by_grid: dict[int, float | None] = {}
    n = 0
    for level in levels:
        rows = overview_list(user=SYSTEM, level=level, period=period)
        scored = []
        for r in rows:
            values = _grid_indicators(r)
            score = assessment_score(values, weights)
            by_grid[r["grid"]["id"]] = score
            figures = {k: r[k] for k in ("households", "staff", "households_per_staff", "received", "closed",
                                         "closed_on_time", "closure_rate", "on_time_rate", "satisfaction",
                                         "visited_within_cadence", "open", "overdue", "escalated")}
            scored.append((r, score, {"values": values, "figures": figures, "flags": r["flags"]}))
        ranked = sorted((s for s in scored if s[1] is not None), key=lambda s: -s[1])
        ranks = {s[0]["grid"]["id"]: i + 1 for i, s in enumerate(ranked)}
        Assessment.objects.filter(month=month, level=level).delete()
        Assessment.objects.bulk_create([
            Assessment(month=month, grid_id=r["grid"]["id"], level=level, score=score,
                       rank=ranks.get(r["grid"]["id"]), indicators=ind, weights=weights)
            for r, score, ind in scored])
        n += len(scored)
    _staff_compute(month=month, period=period, grid_scores=by_grid)
    return n


def _staff_compute(*, month: dt.date, period, grid_scores: dict) -> None:
    """A head's or member's score: 60% their grid's score (shared responsibility), 40% their own
    work in the month (visits recorded plus cases they resolved or closed) against
    GEOGRID_STAFF_MONTHLY_TARGET."""
    target = settings.GEOGRID_STAFF_MONTHLY_TARGET
    rows = list(Assignment.objects.filter(active=True, role__in=[Role.GRID_HEAD, Role.GRID_MEMBER],
                                          grid__valid_to__isnull=True, grid__isnull=False)
                .values_list("user_id", "grid_id", "role"))
    users = {u for u, _, _ in rows}
    visits = dict(Visit.objects.filter(staff_id__in=users, date__gte=period.start, date__lt=period.end)
                  .values("staff_id").annotate(n=Count("id")).values_list("staff_id", "n"))
    handled = dict(IncidentEvent.objects
                   .filter(actor_id__in=users, kind=EventKind.TRANSITION,
                           to_status__in=[Status.RESOLVED, Status.CLOSED],
                           at__date__gte=period.start, at__date__lt=period.end)
                   .values("actor_id").annotate(n=Count("incident_id", distinct=True)).values_list("actor_id", "n"))
    StaffAssessment.objects.filter(month=month).delete()
    out = []
    for user_id, grid_id, role in rows:
        v, h = visits.get(user_id, 0), handled.get(user_id, 0)
        activity = min(1.0, (v + h) / target) if target else 1.0
        grid_score = grid_scores.get(grid_id)
        score = round(0.6 * grid_score + 40 * activity, 1) if grid_score is not None else round(100 * activity, 1)
        out.append(StaffAssessment(month=month, user_id=user_id, grid_id=grid_id, role=role, score=score,
                                   indicators={"visits_made": v, "cases_handled": h, "activity": round(activity, 3),
                                               "grid_score": grid_score}))
    StaffAssessment.objects.bulk_create(out)


def assessment_ensure(*, month: dt.date) -> None:
    """Compute a month that has no stored rows yet, and always the current month (still moving)."""
    month = month.replace(day=1)
    current = timezone.localdate().replace(day=1)
    if month >= current or not Assessment.objects.filter(month=month).exists():
        assessment_compute(month=month)




# --- meeting exports: the job rows a background render reports into -------------------------

def export_job_create(*, user, page: str, fmt: str, query: str) -> ExportJob:
    return ExportJob.objects.create(user=user, page=page, fmt=fmt, query=query[:1000])


def export_job_progress(*, job_id: int, progress: int) -> None:
    """Move a queued or running job on (never backwards, never past 99: 100 is `done`)."""
    ExportJob.objects.filter(pk=job_id, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING),
                             progress__lt=progress).update(status=ExportStatus.RUNNING, progress=min(progress, 99))


def export_job_finish(*, job_id: int, content: bytes) -> None:
    ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.DONE, progress=100, content=content,
                                               size=len(content), finished_at=timezone.now())


def export_job_fail(*, job_id: int, error: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.FAILED, error=error[:500],
                                               finished_at=timezone.now())
