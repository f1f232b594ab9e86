"""Reads of incidents. Every selector that returns incidents takes the acting user and keeps
to that user's grid subtree; out of scope is "not found"."""
import datetime as dt

import geopandas as gpd
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from layers.core.params import id_or_none
from layers.core.sqlfiles import sql_loader
from layers.staff.models import Role
from layers.staff.scope import scope_for

from .models import FINAL_STATUSES, RUNNING_STATUSES, Department, Escalation, EscalationLevel, Incident, IncidentType, Photo

_sql = sql_loader("incidents")


def overdue_q(*, now: dt.datetime | None = None) -> Q:
    """Cases still waiting for action after their deadline (Python's clock, so tests can freeze it)."""
    return Q(status__in=RUNNING_STATUSES, deadline__lt=now or timezone.now())


def with_overdue(qs: QuerySet[Incident], *, now: dt.datetime | None = None) -> QuerySet[Incident]:
    return qs.annotate(is_overdue=ExpressionWrapper(overdue_q(now=now), output_field=BooleanField()))


def with_photos(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """The incidents with their photos prefetched in upload order (one query for a page)."""
    return qs.prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("uploaded_at", "id")))


def incident_list(*, user, status: str | list[str] | None = None, incident_class: str | None = None,
                  type: str | int | None = None, since: dt.datetime | dt.date | None = None,
                  until: dt.datetime | dt.date | None = None, overdue: bool | None = None,
                  grid: int | None = None, source: str | None = None) -> QuerySet[Incident]:
    """The incidents in the user's grid subtree, filtered. `type` matches a type or its category
    (id or code); `since`/`until` bound reported_at (until exclusive); `grid` limits to a subtree.
    A small scope filters by its grid ids, so a street's newest page reads the street's rows only,
    and by its districts, so only their partitions are read (a case lives in its grid's district)."""
    scope = scope_for(user)
    qs = Incident.objects.filter(scope.q_grid_ids("grid"), scope.q_districts())
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else list(status))
    if incident_class:
        qs = qs.filter(incident_class=incident_class)
    if source:
        qs = qs.filter(source=source)
    if type not in (None, ""):
        s = str(type)
        types = IncidentType.objects.filter(Q(code=s) | (Q(pk=id_or_none(s)) if id_or_none(s) is not None else Q(pk__in=[])))
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
    scope = scope_for(user)
    incident = (with_overdue(Incident.objects.filter(scope.q("grid"), scope.q_districts(), pk=pk))
                .select_related("grid", "type", "type__parent", "reporter", "address").first())
    if incident is None:
        raise Http404
    return incident


def incident_get_for_rating(*, user, pk) -> Incident:
    """An incident the user may rate: one in their scope, or one they reported themselves (a
    reporter rates their own case even if it lies outside any grid they work in). Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404
    incident = (Incident.objects.filter(scope_for(user).q("grid"), pk=pk).first()
                or (Incident.objects.filter(pk=pk, reporter=user).first() if user.is_authenticated else None))
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


def incident_counts_by_grid(*, user, grid_ids: list[int], since: dt.datetime | dt.date | None = None,
                            until: dt.datetime | dt.date | None = None) -> dict[int, dict]:
    """For each grid id in the user's scope, counts over its whole subtree (plus, for a special
    grid, the cases it holds): received, open, overdue, closed, closed_on_time, escalated,
    avg_rating. Grids outside the scope are left out of the answer."""
    scope = scope_for(user)
    ids = [int(i) for i in grid_ids]
    if not scope.is_admin:
        from layers.grids.models import Grid

        ids = list(Grid.objects.filter(scope.q(""), pk__in=ids).values_list("pk", flat=True))
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


def department_get(*, ref) -> Department | None:
    """A functional department by id or code, or None."""
    s = str(ref)
    return ((Department.objects.filter(pk=id_or_none(s)).first() if id_or_none(s) is not None else None)
            or Department.objects.filter(code=s).first())


def incident_type_list() -> QuerySet[IncidentType]:
    return IncidentType.objects.select_related("parent").order_by("code")


def since_days(days: int) -> dt.datetime:
    """The moment `days` days before now."""
    return timezone.now() - dt.timedelta(days=days)


def incident_first_day(*, user) -> dt.date | None:
    """The local day of the earliest case in the user's scope (None when there is none): time
    controls reach back no further than the data."""
    first = incident_list(user=user).order_by("reported_at").values_list("reported_at", flat=True).first()
    return timezone.localtime(first).date() if first else None


def incident_period(*, days: int, until: dt.date | None = None) -> tuple[dt.datetime, dt.datetime | None]:
    """(since, until) of a window of `days` days: ending now, or ending with the whole local
    day `until` (the end is exclusive: midnight after it)."""
    if until is None:
        return since_days(days), None
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    return end - dt.timedelta(days=days), end


def incident_received_by_grid(*, user, grid_ids: list[int], since: dt.datetime | None = None,
                              until: dt.datetime | None = None, incident_class: str | None = None) -> dict[int, int]:
    """Incidents received per grid in the period (optionally of one class), within the user's
    scope; every id in `grid_ids` gets a figure (0 when out of scope or quiet)."""
    if incident_class:
        qs = incident_list(user=user, since=since, until=until,
                           incident_class=incident_class).filter(grid_id__in=grid_ids)
        got = dict(qs.order_by().values_list("grid_id").annotate(n=Count("id")).values_list("grid_id", "n"))
        return {i: got.get(i, 0) for i in grid_ids}
    counts = incident_counts_by_grid(user=user, grid_ids=grid_ids, since=since, until=until)
    return {i: counts.get(i, {}).get("received", 0) for i in grid_ids}


def incident_counts_by_special_grid(*, user, ids: list[int]) -> dict[int, dict]:
    """Cases each special grid holds, among those the user may see: {id: {received, open}}."""
    rows = (incident_list(user=user).filter(special_grids__in=ids).order_by()
            .values_list("special_grids")
            .annotate(received=Count("id", distinct=True),
                      open=Count("id", distinct=True, filter=~Q(status__in=FINAL_STATUSES))))
    return {gid: {"received": r, "open": o} for gid, r, o in rows}


INCIDENT_FRAME_COLUMNS = ["id", "status", "status_label", "overdue", "incident_class", "incident_class_label",
                          "title", "reported_at", "grid_id", "geometry"]


def incident_frame(*, user, since: dt.datetime | None = None, until: dt.datetime | None = None,
                   incident_class: str | None = None, grid: int | None = None,
                   open_or_since: dt.datetime | None = None) -> gpd.GeoDataFrame:
    """Incident points in the user's scope as a GeoDataFrame (INCIDENT_FRAME_COLUMNS), for maps.

    `open_or_since`: every case not closed or rejected, plus the others reported since then."""
    qs = incident_list(user=user, since=since, until=until, incident_class=incident_class or None, grid=grid)
    if open_or_since is not None:
        qs = qs.filter(~Q(status__in=FINAL_STATUSES) | Q(reported_at__gte=open_or_since))
    recs = [{
        "id": inc.pk, "status": inc.status, "status_label": str(inc.get_status_display()),
        "overdue": bool(getattr(inc, "is_overdue", False)), "incident_class": inc.incident_class,
        "incident_class_label": str(inc.get_incident_class_display()),
        "title": (inc.ref or "") + " " + (inc.description or "")[:30],
        "reported_at": timezone.localtime(inc.reported_at).strftime("%Y-%m-%d %H:%M"),
        "grid_id": inc.grid_id, "geometry": shapely.Point(inc.geometry.x, inc.geometry.y)} for inc in qs]
    crs = f"EPSG:{settings.GEOGRID_SRID}"
    if not recs:
        return gpd.GeoDataFrame(columns=INCIDENT_FRAME_COLUMNS, geometry="geometry", crs=crs)
    return gpd.GeoDataFrame(recs, geometry="geometry", crs=crs)


# Roles that answer an escalation that reached their grid (community, street, district).
RESPONDER_ROLES = (Role.STATION_CHIEF, Role.COMMUNITY_LEADER, Role.STREET_LEADER, Role.DISTRICT_LEADER)


def escalation_may_respond(*, user, escalation: Escalation | None) -> bool:
    """Whether `user` answers for the level `escalation` reached: for a department, one of that
    department's handlers (Department.handlers, in the department-handler role); for a grid, a
    station chief or leader assigned to that grid or above it (a district leader over the case
    when the map has no district grid); an administrator anywhere."""
    if escalation is None:
        return False
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if escalation.department_id:
        return (scope.has_role(Role.DEPARTMENT_HANDLER)
                and Department.handlers.through.objects.filter(department_id=escalation.department_id,
                                                               user_id=user.pk).exists())
    if escalation.grid is not None:
        return scope.holds(escalation.grid, roles=RESPONDER_ROLES)
    # The district platform of a map without a district grid: its leaders over the case's grid.
    return (escalation.level == EscalationLevel.DISTRICT
            and scope.holds(escalation.incident.grid, roles=(Role.DISTRICT_LEADER,)))
