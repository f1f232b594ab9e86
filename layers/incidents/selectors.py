"""Reads of incidents. Every selector that returns incidents takes the acting user and keeps
to that user's grid subtree; out of scope is "not found"."""
import datetime as dt

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from layers.core.sqlfiles import sql_loader
from layers.staff.selectors import scope_q

from .models import RUNNING_STATUSES, Incident, IncidentType, Photo

_sql = sql_loader("incidents")


def overdue_q(*, now: dt.datetime | None = None) -> Q:
    """Cases still waiting for action after their deadline (Python's clock, so tests can freeze it)."""
    return Q(status__in=RUNNING_STATUSES, deadline__lt=now or timezone.now())


def with_overdue(qs: QuerySet[Incident], *, now: dt.datetime | None = None) -> QuerySet[Incident]:
    return qs.annotate(is_overdue=ExpressionWrapper(overdue_q(now=now), output_field=BooleanField()))


def incident_list(*, user, status: str | list[str] | None = None, incident_class: str | None = None,
                  type: str | int | None = None, since: dt.datetime | dt.date | None = None,
                  until: dt.datetime | dt.date | None = None, overdue: bool | None = None,
                  grid: int | None = None, source: str | None = None) -> QuerySet[Incident]:
    """The incidents in the user's grid subtree, filtered. `type` matches a type or its category
    (id or code); `since`/`until` bound reported_at (until exclusive); `grid` limits to a subtree."""
    qs = Incident.objects.filter(scope_q(user=user, field="grid"))
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else list(status))
    if incident_class:
        qs = qs.filter(incident_class=incident_class)
    if source:
        qs = qs.filter(source=source)
    if type not in (None, ""):
        s = str(type)
        types = IncidentType.objects.filter(Q(code=s) | (Q(pk=int(s)) if s.isdigit() else Q(pk__in=[])))
        qs = qs.filter(Q(type__in=types) | Q(type__parent__in=types))
    if since is not None:
        qs = qs.filter(reported_at__gte=_as_datetime(since))
    if until is not None:
        qs = qs.filter(reported_at__lt=_as_datetime(until))
    if grid is not None:
        from layers.grids.models import Grid
        g = Grid.objects.filter(pk=grid).values_list("path", flat=True).first()
        qs = qs.filter(grid__path__startswith=g) if g else qs.none()
    qs = with_overdue(qs)
    if overdue is True:
        qs = qs.filter(overdue_q())
    elif overdue is False:
        qs = qs.exclude(overdue_q())
    return qs.select_related("grid", "type", "type__parent", "reporter").order_by("-reported_at", "-id")


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def incident_get(*, user, pk) -> Incident:
    """One incident in the user's scope; Http404 otherwise (never say it exists elsewhere)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404
    incident = (with_overdue(Incident.objects.filter(scope_q(user=user, field="grid"), pk=pk))
                .select_related("grid", "type", "type__parent", "reporter", "address").first())
    if incident is None:
        raise Http404
    return incident


def photo_get(*, user, incident_pk, pk) -> Photo:
    """A photo of an incident in the user's scope; Http404 if either is out of reach."""
    incident = incident_get(user=user, pk=incident_pk)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404
    photo = Photo.objects.filter(incident=incident, pk=pk).first()
    if photo is None or not photo.file:
        raise Http404
    return photo


def incident_counts_by_grid(*, grid_ids: list[int], since: dt.datetime | dt.date | None = None,
                            until: dt.datetime | dt.date | None = None) -> dict[int, dict]:
    """For each grid id, counts over its whole subtree (plus, for a special grid, the cases it
    holds): received, open, overdue, closed, closed_on_time, escalated, avg_rating.
    Not scoped: callers pass grids the user may see."""
    ids = [int(i) for i in grid_ids]
    empty = {"received": 0, "open": 0, "overdue": 0, "closed": 0, "closed_on_time": 0, "escalated": 0,
             "avg_rating": None}
    out = {i: dict(empty) for i in ids}
    if not ids:
        return out
    params = {"ids": ids, "since": _as_datetime(since) if since is not None else None,
              "until": _as_datetime(until) if until is not None else None, "now": timezone.now()}
    with connection.cursor() as cur:
        cur.execute(_sql("counts_by_grid"), params)
        for gid, received, open_, overdue, closed, on_time, escalated, avg in cur.fetchall():
            out[gid] = {"received": received, "open": open_, "overdue": overdue, "closed": closed,
                        "closed_on_time": on_time, "escalated": escalated,
                        "avg_rating": round(float(avg), 2) if avg is not None else None}
    return out


def incident_type_list() -> QuerySet[IncidentType]:
    return IncidentType.objects.select_related("parent").order_by("code")
