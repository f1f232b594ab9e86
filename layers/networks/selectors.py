"""Reads of the other grid networks (双网联动): the party-building grids, the matters they raised
and what became of them, and the overview of a network.

The party side sees the matters its own network raised (origin grid in the user's party subtree)
and their status, never other incidents: a party role's scope holds party grids only, so the
ordinary incident reads (`scope.q("grid")`, base paths) give it nothing."""
import datetime as dt

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layers.addresses.models import Address
from layers.grids.models import Grid, GridNetwork
from layers.incidents.models import FINAL_STATUSES, RUNNING_STATUSES, Incident, IncidentEvent, Status
from layers.staff.models import PARTY_ROLES
from layers.staff.scope import scope_for


# What the levels of the party-building network are called (the base names are GEOGRID_LEVELS).
PARTY_LEVELS = {2: _("street party grid"), 3: _("general branch"), 4: _("party group")}


def party_grid_list(*, user=None, network: str = GridNetwork.PARTY, level: int | None = None):
    """Current grids of `network`; with `user`, only those in their subtree of that network
    (administrators: all). Boundaries are not personal: `user=None` lists them all."""
    qs = Grid.all_networks.filter(network=network, valid_to__isnull=True)
    if level is not None:
        qs = qs.filter(level=level)
    if user is not None:
        scope = scope_for(user)
        if not scope.is_admin:
            qs = qs.filter(scope.q("", roles=PARTY_ROLES))
    return qs.order_by("code")


def party_grid_get(*, user, pk) -> Grid:
    """A current party grid the user holds a party role on (or below); DoesNotExist otherwise."""
    return party_grid_list(user=user).get(pk=pk)


def party_matter_list(*, user, status: list[str] | None = None):
    """Incidents raised in the user's party subtree (source party_grid), newest first. The party
    side's only view of incidents: their own network's matters, with their status."""
    scope = scope_for(user)
    qs = Incident.objects.filter(origin_grid__isnull=False)
    if not scope.is_admin:
        qs = qs.filter(scope.q("origin_grid", roles=PARTY_ROLES))
    if status:
        qs = qs.filter(status__in=status)
    return qs.select_related("grid", "origin_grid", "type", "type__parent").order_by("-reported_at", "-id")


def party_matter_get(*, user, pk) -> Incident:
    return party_matter_list(user=user).get(pk=pk)


def party_matter_events(*, incident: Incident) -> list:
    """The case's history as the party side follows it: kinds, statuses and times (no notes, no
    names: those stay with the administrative grid)."""
    return list(IncidentEvent.of(incident).order_by("at", "id").values("kind", "from_status", "to_status", "at", "data"))


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def network_overview_list(*, user, level: int, start: dt.date, end: dt.date,
                          network: str = GridNetwork.PARTY) -> list[dict]:
    """The overview of another network: one row per current grid of `network` and `level` the
    user may see (administrators all; a party role its party subtree; base staff the party grids
    over their own grids). Figures are those of the administrative grid inside each party grid's
    territory, counted through the user's own scope (a party role sees only the matters its
    network raised), and the matters the party grid raised. [start, end) is the period."""
    scope = scope_for(user)
    grids = Grid.all_networks.filter(network=network, level=level, valid_to__isnull=True)
    if not scope.is_admin:
        mine = Q(pk__in=[]) if not scope.paths_for(*PARTY_ROLES) else scope.q("", roles=PARTY_ROLES)
        base_ids = [g for g in scope.grid_ids]
        over = Q(pk__in=[])
        for g in Grid.objects.filter(pk__in=base_ids).only("geometry"):
            over |= Q(geometry__intersects=g.geometry)
        grids = grids.filter(mine | over)
    since, until = _as_datetime(start), _as_datetime(end)
    now = timezone.now()
    open_q = ~Q(status__in=FINAL_STATUSES)
    # The matters a party grid raised, as far as the user sees them: handled in their scope, or
    # raised in their party subtree.
    seen = Q() if scope.is_admin else scope.q("grid") | (scope.q("origin_grid", roles=PARTY_ROLES)
                                                          if scope.paths_for(*PARTY_ROLES) else Q(pk__in=[]))
    rows = []
    for g in grids.order_by("code"):
        cases = Incident.objects.filter(scope.q("grid"), geometry__coveredby=g.geometry)
        figures = cases.aggregate(
            open=Count("id", filter=open_q),
            overdue=Count("id", filter=Q(status__in=RUNNING_STATUSES, deadline__lt=now)),
            escalated=Count("id", filter=open_q & Q(escalation_level__gt=0)),
            received=Count("id", filter=Q(reported_at__gte=since, reported_at__lt=until)),
            closed=Count("id", filter=Q(reported_at__gte=since, reported_at__lt=until, status=Status.CLOSED)),
            closed_on_time=Count("id", filter=Q(reported_at__gte=since, reported_at__lt=until,
                                                status=Status.CLOSED, resolved_at__lte=F("deadline"))))
        raised = (Incident.objects.filter(origin_grid__path__startswith=g.path).filter(seen)
                  .aggregate(
            raised=Count("id", filter=Q(reported_at__gte=since, reported_at__lt=until)),
            raised_open=Count("id", filter=open_q),
            raised_closed=Count("id", filter=Q(status=Status.CLOSED))))
        homes = Address.objects.filter(scope.q("grid"), geometry__coveredby=g.geometry).aggregate(
            addresses=Count("id"), households=Sum("households"))
        received, closed = figures["received"], figures["closed"]
        rows.append({
            "grid": {"id": g.pk, "code": g.code, "name": g.name, "level": g.level},
            "network": g.network, "parent_id": g.parent_id,
            "households": homes["households"] or 0, "addresses": homes["addresses"],
            "staff": None, "households_per_staff": None, "visited_within_cadence": None,
            "open": figures["open"], "overdue": figures["overdue"], "escalated": figures["escalated"],
            "overdue_share": round(figures["overdue"] / figures["open"], 3) if figures["open"] else None,
            "received": received, "closed": closed, "closed_on_time": figures["closed_on_time"],
            "closure_rate": round(closed / received, 3) if received else None,
            "on_time_rate": round(figures["closed_on_time"] / closed, 3) if closed else None,
            "satisfaction": None, "patrol_hours": None,
            **raised,
            "flags": [],
        })
    return rows
