"""Writes of patrols: start, add points, end, and the link of a report made on a patrol."""
import datetime as dt
import math

from django.conf import settings
from django.contrib.gis.db.models.functions import Length
from django.contrib.gis.geos import LineString, Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.crs import to_storage
from layers.core.errors import RuleViolation
from layers.grids.models import Grid
from layers.staff.models import FIELD_ROLES
from layers.staff.scope import scope_for

from .models import Patrol, PatrolPoint, PatrolReport

MAX_POINTS_PER_REQUEST = 2000
# A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = dt.timedelta(minutes=5)


class PatrolConflict(RuleViolation):
    """The patrol's state forbids the request (already running, already ended): a 409."""


def _own_grid(user) -> Grid | None:
    scope = scope_for(user)
    ids = [gid for gid, _level in sorted(scope.grid_levels.items(), key=lambda kv: (-kv[1], kv[0]))]
    grids = {g.pk: g for g in Grid.objects.filter(pk__in=ids, valid_to__isnull=True)}
    for gid in ids:
        g = grids.get(gid)
        if g is not None and scope.holds(g, roles=FIELD_ROLES):
            return g
    return None


@transaction.atomic
def patrol_start(*, user, grid: Grid | None = None) -> Patrol:
    """Start a patrol of `grid` (default: the member's own, deepest grid). One open patrol per member."""
    scope = scope_for(user)
    if not scope.is_field and not scope.is_admin:
        raise RuleViolation("patrol_role", _("Only grid members, grid heads and station chiefs patrol"))
    if grid is None:
        grid = _own_grid(user)
        if grid is None:
            raise RuleViolation("patrol_grid", _("You hold no grid to patrol; name one"))
    elif not scope.holds(grid, roles=FIELD_ROLES) and not scope.is_admin:
        raise RuleViolation("patrol_grid", _("The grid %(code)s is not one you work in") % {"code": grid.code})
    running = Patrol.objects.filter(member=user, ended_at__isnull=True).first()
    if running is not None:
        raise PatrolConflict("patrol_running", _("You already have a patrol running (started %(at)s); end it first")
                             % {"at": timezone.localtime(running.started_at).strftime("%H:%M")},
                             extra={"open_patrol": running.pk})
    patrol = Patrol(member=user, grid=grid, started_at=timezone.now())
    patrol.full_clean()
    try:
        with transaction.atomic():
            patrol.save()
    except IntegrityError:
        raise PatrolConflict("patrol_running", _("You already have a patrol running; end it first"))
    return patrol


def _parse_points(points) -> list[tuple[float, float, dt.datetime]]:
    if not isinstance(points, list) or not points:
        raise RuleViolation("patrol_points", _('Send {"points": [[lon, lat, unix_seconds], ...]} with at least one point'))
    if len(points) > MAX_POINTS_PER_REQUEST:
        raise RuleViolation("patrol_points", _("At most %(n)d points per request") % {"n": MAX_POINTS_PER_REQUEST})
    out = []
    for n, p in enumerate(points, start=1):
        if not isinstance(p, (list, tuple)) or len(p) != 3:
            raise RuleViolation("patrol_points", _("Point %(n)d is not [lon, lat, unix_seconds]") % {"n": n})
        lon, lat = to_storage(p[0], p[1], "wgs84")
        t = p[2]
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
            raise RuleViolation("patrol_points", _("Point %(n)d: the time must be unix seconds") % {"n": n})
        try:
            at = dt.datetime.fromtimestamp(t, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise RuleViolation("patrol_points", _("Point %(n)d: the time must be unix seconds") % {"n": n})
        out.append((lon, lat, at.replace(microsecond=at.microsecond // 1000 * 1000)))
    return out


def _retrack(patrol: Patrol) -> None:
    coords = list(PatrolPoint.of(patrol).order_by("at").values_list("geometry", flat=True))
    if len(coords) >= 2:
        patrol.track = LineString([(c.x, c.y) for c in coords], srid=settings.GEOGRID_SRID)
        patrol.save(update_fields=["track"])
        # Length of a geographic field is measured on the spheroid (a Distance, read in metres).
        length = Patrol.objects.filter(pk=patrol.pk).annotate(m=Length("track")).values_list("m", flat=True).get()
        patrol.distance_m = length.m
    else:
        patrol.track, patrol.distance_m = None, 0.0
    patrol.save(update_fields=["track", "distance_m"])


@transaction.atomic
def patrol_add_points(*, patrol: Patrol, user, points) -> dict:
    """Add positions to the user's own patrol. Points must fall between its start and its end
    (or now, while it runs); a point already recorded at the same instant is skipped, so a
    replayed batch adds nothing. Returns counts and the new distance."""
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    if patrol.member_id != user.pk:
        raise RuleViolation("patrol_not_yours", _("Only the member on this patrol records its positions"))
    parsed = _parse_points(points)
    low = patrol.started_at - CLOCK_SLACK
    high = (patrol.ended_at or timezone.now()) + CLOCK_SLACK
    outside = [at for _x, _y, at in parsed if not (low <= at <= high)]
    if outside:
        raise PatrolConflict("patrol_point_time",
                             _("%(n)d points lie outside the patrol's time (%(start)s to %(end)s)")
                             % {"n": len(outside), "start": timezone.localtime(patrol.started_at).isoformat(),
                                "end": timezone.localtime(patrol.ended_at).isoformat() if patrol.ended_at else _("now")})
    district = patrol.district_code
    rows = [PatrolPoint(patrol=patrol, geometry=Point(x, y, srid=settings.GEOGRID_SRID), at=at, district_code=district)
            for x, y, at in parsed]
    before = PatrolPoint.of(patrol).count()
    PatrolPoint.objects.bulk_create(rows, ignore_conflicts=True)
    total = PatrolPoint.of(patrol).count()
    _retrack(patrol)
    return {"id": patrol.pk, "added": total - before, "points": total, "distance_m": round(patrol.distance_m, 1)}


@transaction.atomic
def patrol_end(*, patrol: Patrol, user) -> Patrol:
    """End the user's own running patrol."""
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    if patrol.member_id != user.pk and not scope_for(user).is_admin:
        raise RuleViolation("patrol_not_yours", _("Only the member on this patrol ends it"))
    if patrol.ended_at is not None:
        raise PatrolConflict("patrol_ended", _("This patrol already ended at %(at)s")
                             % {"at": timezone.localtime(patrol.ended_at).strftime("%Y-%m-%d %H:%M")})
    patrol.ended_at = max(timezone.now(), patrol.started_at)
    patrol.full_clean()
    patrol.save(update_fields=["ended_at"])
    _retrack(patrol)
    return patrol


def patrol_report_link(*, incident, user, value) -> PatrolReport:
    """Intake hook: tie a report to the reporter's own patrol (runs in the intake transaction)."""
    try:
        pk = int(str(value).strip())
    except ValueError:
        raise RuleViolation("patrol_unknown", _("patrol must be a patrol id"))
    patrol = Patrol.objects.filter(pk=pk, member_id=getattr(user, "pk", None)).first()
    if patrol is None:
        raise RuleViolation("patrol_unknown", _("Patrol %(id)s is not one of yours") % {"id": pk})
    link = PatrolReport(patrol=patrol, incident=incident)
    link.save()
    return link
