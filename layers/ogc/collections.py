"""The feature collections served at /ogc/ and as vector tiles. Each reads through the layer's
own selector, so incidents and coverage keep the acting user's grid scope; none carries a
personal detail (no description, reporter, address text of a case, nor subject data)."""
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Queryable:
    lookup: str
    type: str  # JSON Schema type: "integer" or "string"
    title: str = ""
    enum: tuple = ()


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    geometry_type: str
    # (user, interval) -> QuerySet; interval is (start, end) dates or datetimes, None when not asked
    rows: Callable
    # output property name -> ORM lookup on the rows
    properties: dict
    queryables: dict = field(default_factory=dict)
    temporal: tuple | None = None  # (start lookup, end lookup or None)
    default_limit: int = DEFAULT_LIMIT
    max_limit: int = MAX_LIMIT
    scoped: bool = False
    tile_layer: str | None = None


def _valid_between(qs, interval):
    """Grids valid at some time within [start, end] (an instant when start == end)."""
    start, end = interval
    q = Q()
    if end is not None:
        q &= Q(valid_from__lte=_as_date(end))
    if start is not None:
        q &= Q(valid_to__isnull=True) | Q(valid_to__gt=_as_date(start))
    return qs.filter(q)


def _as_date(v):
    return v.date() if isinstance(v, dt.datetime) else v


def _grids(kind: str, level: int | None = None):
    def rows(user, interval):
        from layers.grids.selectors import grid_list

        if interval is None:
            qs = grid_list(kind=kind, level=level)
        else:
            qs = _valid_between(grid_list(kind=kind, level=level, current=False), interval)
        return qs
    return rows


def _addresses(user, interval):
    # Standard addresses are the street's registry (no people): not scoped.
    from layers.addresses.models import Address

    return Address.objects.all()


def _incidents(user, interval):
    from layers.incidents.selectors import incident_list

    if interval is None:
        return incident_list(user=user)
    start, end = interval
    return incident_list(user=user, since=start,
                         until=(end + dt.timedelta(days=1)) if isinstance(end, dt.date)
                         and not isinstance(end, dt.datetime) else end)


GRID_PROPERTIES = {"code": "code", "name": "name", "level": "level", "kind": "kind", "use": "use",
                   "parent": "parent_id", "parent_code": "parent__code", "station": "station__name",
                   "valid_from": "valid_from", "valid_to": "valid_to"}
GRID_QUERYABLES = {
    "level": Queryable("level", "integer", _("level")),
    "code": Queryable("code", "string", _("code")),
    "name": Queryable("name", "string", _("name")),
    "parent": Queryable("parent_id", "integer", _("parent grid")),
    "parent_code": Queryable("parent__code", "string", _("parent grid code")),
    "use": Queryable("use", "string", _("use")),
}


def _kinds():
    from layers.grids.models import GridKind

    return tuple(k for k in GridKind.values if k != GridKind.BASE)


def _statuses():
    from layers.incidents.models import Status

    return tuple(Status.values)


def collections() -> dict[str, Collection]:
    """All collections by id (levels from GEOGRID_LEVELS, so a deeper hierarchy gets more)."""
    out = [
        Collection("grids", _("Grids"), _("All current base grids; filter by level."), "MultiPolygon",
                   _grids("base"), GRID_PROPERTIES, GRID_QUERYABLES, ("valid_from", "valid_to"),
                   tile_layer="grids"),
    ]
    for level, name in settings.GEOGRID_LEVELS.items():
        out.append(Collection(
            f"grids-level-{level}", _("Grids of level %(level)s (%(name)s)") % {"level": level, "name": name},
            _("Current base grids of one level."), "MultiPolygon", _grids("base", level),
            GRID_PROPERTIES, {k: v for k, v in GRID_QUERYABLES.items() if k != "level"},
            ("valid_from", "valid_to")))
    out += [
        Collection("special", _("Special grids"),
                   _("Business districts, commercial streets, parks, religious sites, business buildings, markets."),
                   "MultiPolygon", _grids("special"), GRID_PROPERTIES,
                   {**GRID_QUERYABLES, "kind": Queryable("kind", "string", _("kind"), _kinds())},
                   ("valid_from", "valid_to"), tile_layer="special"),
        Collection("addresses", _("Standard addresses"), _("Standard addresses and their micro-grids."), "Point",
                   _addresses,
                   {"full_text": "full_text", "kind": "kind", "households": "households",
                    "grid": "grid_id", "grid_code": "grid__code", "near_boundary": "near_boundary"},
                   {"kind": Queryable("kind", "string", _("kind")),
                    "grid": Queryable("grid_id", "integer", _("micro-grid")),
                    "grid_code": Queryable("grid__code", "string", _("micro-grid code")),
                    "near_boundary": Queryable("near_boundary", "boolean", _("near a grid boundary"))},
                   tile_layer="addresses"),
        Collection("incidents", _("Incidents"),
                   _("Incidents in your grids: case number, type, status and times; no personal details."),
                   "Point", _incidents,
                   {"ref": "ref", "status": "status", "incident_class": "incident_class",
                    "type": "type__code", "type_name": "type__name", "source": "source",
                    "grid": "grid_id", "grid_code": "grid__code", "reported_at": "reported_at",
                    "deadline": "deadline", "resolved_at": "resolved_at", "closed_at": "closed_at",
                    "overdue": "is_overdue", "escalation_level": "escalation_level"},
                   {"status": Queryable("status", "string", _("status"), _statuses()),
                    "incident_class": Queryable("incident_class", "string", _("class")),
                    "type": Queryable("type__code", "string", _("type")),
                    "source": Queryable("source", "string", _("source")),
                    "grid_code": Queryable("grid__code", "string", _("micro-grid code")),
                    "overdue": Queryable("is_overdue", "boolean", _("overdue"))},
                   ("reported_at", None), scoped=True, tile_layer="incidents"),
    ]
    return {c.id: c for c in out}


# Coverage figures are computed per level by the subjects layer (scoped, small counts coarsened),
# not by a queryset: served by a collection of its own kind.
COVERAGE_ID = "coverage"
COVERAGE_QUERYABLES = {
    "level": Queryable("level", "integer", _("level")),
    "code": Queryable("code", "string", _("code")),
    "parent_id": Queryable("parent_id", "integer", _("parent grid")),
}
