"""Writes to grids. Every rule of the tiling is checked here, under a lock on the parent,
inside the transaction that makes the change."""
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.core.sqlfiles import sql_loader

from . import hooks
from .geometry import order_west_east_north_south, outside, overlaps, to_multipolygon
from .models import NETWORK_CODE_PREFIX, Grid, GridCode, GridKind, GridNetwork, GridPiece, GridVersion, Station

sql = sql_loader("grids")

DIVISION_CODE_LEVELS = {1, 2, 3}  # district, street, community carry 12-digit division codes


class BatchRuleViolation(RuleViolation):
    """Several features broke rules; `problems` lists (index, label, RuleViolation)."""

    def __init__(self, problems: list[tuple[int, str, RuleViolation]]):
        self.problems = problems
        lines = [f"#{i + 1} {label}: [{v.rule}] {v.messages[0]}" for i, label, v in problems]
        super().__init__("batch", _("%(n)d feature(s) break the rules:\n%(lines)s")
                         % {"n": len(problems), "lines": "\n".join(lines)},
                         grids=[label for _i, label, _v in problems],
                         extra={"problems": [{"index": i, "feature": label, "rule": v.rule,
                                              "detail": v.messages[0], "grids": v.grids}
                                             for i, label, v in problems]})


@dataclass
class GridSpec:
    """A grid to create: what an importer or an editor hands to `grids_create`."""
    name: str
    geometry: object
    code: str | None = None
    station: Station | None = None
    use: str = ""
    attributes: dict | None = None  # source attributes of an imported feature, kept with the grid


def grid_problems(*, parent: Grid | None, kind: str, geometry: MultiPolygon,
                  exclude_ids: list[int] = (), label: str = "",
                  network: str = GridNetwork.BASE) -> list[RuleViolation]:
    """Rules that need the database: inside the parent; no overlap with base siblings (the
    other top-level base grids for a grid without parent). Siblings are of the grid's own
    network: the party-building grid may overlap the base tiling, never itself."""
    problems = []
    if parent is not None:
        out = outside(geometry, parent.geometry, settings.GEOGRID_PARENT_TOLERANCE_M2)
        if out is not None:
            area = out[1]
            problems.append(RuleViolation(
                "outside_parent",
                _("%(label)s lies outside its parent %(parent)s by %(area).1f m²")
                % {"label": label or _("the grid"), "parent": parent, "area": area},
                grids=[label, parent.code], extra={"area_m2": round(area, 2)}))
    if kind == GridKind.BASE:
        # Top-level grids (no parent) are siblings of each other too: two overlapping districts
        # cannot both be stored (skipping them let the assignment see two micro-grids per point).
        same_parent = {"parent": parent} if parent is not None else {"parent__isnull": True}
        siblings = list(Grid.all_networks.filter(**same_parent, network=network, kind=GridKind.BASE,
                                                 valid_to__isnull=True,
                                            geometry__bboverlaps=geometry)
                        .exclude(pk__in=list(exclude_ids)).order_by("code").only("pk", "code", "name", "geometry"))
        found = overlaps([geometry], settings.GEOGRID_OVERLAP_TOLERANCE_M2, others=[g.geometry for g in siblings])
        for _i, j, _shared, area in sorted(found, key=lambda t: siblings[t[1]].code):
            code, name = siblings[j].code, siblings[j].name
            problems.append(RuleViolation(
                "overlaps_sibling",
                _("%(label)s overlaps base grid %(code)s %(name)s by %(area).1f m²")
                % {"label": label or _("the grid"), "code": code, "name": name, "area": area},
                grids=[label, code], extra={"area_m2": round(area, 2)}))
    return problems


def _check_level(parent: Grid | None, level: int) -> None:
    if level not in settings.GEOGRID_LEVELS:
        raise RuleViolation("level_unknown", _("Unknown level %(level)s; levels are %(levels)s")
                            % {"level": level, "levels": sorted(settings.GEOGRID_LEVELS)})
    if parent is not None and level <= parent.level:
        raise RuleViolation("level_order", _("A grid of level %(level)s cannot sit under %(parent)s of level %(plevel)s")
                            % {"level": level, "parent": parent, "plevel": parent.level}, grids=[parent.code])


def _check_explicit_code(code: str, division: bool, label: str, network: str = GridNetwork.BASE) -> None:
    prefix = NETWORK_CODE_PREFIX.get(network, "")
    if prefix and not code.startswith(prefix):
        raise RuleViolation("code_format", _("%(label)s: a code of this network starts with %(prefix)s, not %(code)s")
                            % {"label": label, "prefix": prefix, "code": code}, grids=[label])
    digits = code[len(prefix):]
    if not (digits.isascii() and digits.isdigit()):
        raise RuleViolation("code_format", _("%(label)s: code %(code)s must be digits only")
                            % {"label": label, "code": code}, grids=[label])
    if division and len(code) != 12:
        raise RuleViolation("code_format", _("%(label)s: a district, street or community carries its 12-digit division code, not %(code)s")
                            % {"label": label, "code": code}, grids=[label])
    if GridCode.objects.filter(code=code).exists():
        raise RuleViolation("code_taken", _("%(label)s: code %(code)s was already issued and is never reused")
                            % {"label": label, "code": code}, grids=[label, code])


def _next_codes(parent: Grid, n: int) -> list[str]:
    """n fresh codes under `parent`: its code + 3-digit sequence, skipping any ever issued."""
    codes, seq = [], parent.next_child_seq
    while len(codes) < n:
        if seq > 999:
            raise RuleViolation("code_exhausted", _("%(parent)s has used all 999 child codes") % {"parent": parent},
                                grids=[parent.code])
        code = f"{parent.code}{seq:03d}"
        if not GridCode.objects.filter(code=code).exists():
            codes.append(code)
        seq += 1
    parent.next_child_seq = seq
    parent.save(update_fields=["next_child_seq"])
    return codes


def _new_grid(*, parent, level, kind, spec: GridSpec, geometry, code, valid_from, user,
              network: str = GridNetwork.BASE) -> Grid:
    grid = Grid(parent=parent, network=network, level=level, kind=kind, name=spec.name, code=code, station=spec.station,
                use=spec.use, geometry=geometry, valid_from=valid_from, attributes=spec.attributes or {})
    grid.full_clean(exclude=["path"])
    grid.save()
    grid.path = f"{parent.path if parent else '/'}{grid.pk}/"
    grid.save(update_fields=["path"])
    GridCode.objects.create(code=code, grid=grid)
    GridVersion.objects.create(grid=grid, version=1, geometry=geometry, valid_from=valid_from,
                               attributes=grid.attributes, change=_("created"),
                               changed_by=user if user and user.pk else None)
    return grid


def _lock(parent: Grid | None, network: str = GridNetwork.BASE) -> Grid | None:
    # One planner at a time per parent: concurrent changes to siblings must not both pass the
    # overlap check. The row lock serialises them; top-level grids have no parent row, so a
    # transaction-scoped advisory lock stands in for it.
    if parent is None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('geogrid.grids.top_level.' || %s))", [network])
        return None
    return Grid.all_networks.select_for_update().get(pk=parent.pk)


@transaction.atomic
def grids_create(*, parent: Grid | None, level: int, kind: str = GridKind.BASE, specs: list[GridSpec],
                 user=None, valid_from: dt.date | None = None, network: str = GridNetwork.BASE) -> list[Grid]:
    """Create several grids under one parent, all or none. Every feature is checked against
    the rules, the database and the other features; all problems are reported together.
    `network`: the base tiling by default; another network (party) tiles itself by the same
    rules, its grids are base grids of that network only, and no boundary hook runs for them
    (nothing administrative is placed in them)."""
    if network not in GridNetwork.values:
        raise RuleViolation("network_unknown", _("Unknown grid network %(network)s") % {"network": network})
    parent = _lock(parent, network)
    if parent is not None and parent.network != network:
        raise RuleViolation("network_mismatch", _("%(parent)s belongs to another grid network")
                            % {"parent": parent}, grids=[parent.code])
    if network != GridNetwork.BASE and kind != GridKind.BASE:
        raise RuleViolation("network_kind", _("Special grids belong to the administrative network only"))
    _check_level(parent, level)
    if kind not in GridKind.values:
        raise RuleViolation("kind_unknown", _("Unknown kind %(kind)s") % {"kind": kind})
    if parent is None and kind != GridKind.BASE:
        raise RuleViolation("special_needs_parent", _("A special grid must lie inside a parent grid"))
    valid_from = valid_from or timezone.localdate()
    problems: list[tuple[int, str, RuleViolation]] = []
    geoms: list[MultiPolygon | None] = []
    for i, spec in enumerate(specs):
        label = spec.name or f"#{i + 1}"
        try:
            geom = to_multipolygon(spec.geometry, label=label)
            division = kind == GridKind.BASE and level in DIVISION_CODE_LEVELS and network == GridNetwork.BASE
            if spec.code:
                _check_explicit_code(spec.code, division, label, network)
            elif parent is None or division:
                raise RuleViolation("code_missing", _("%(label)s: a top-level grid or a district, street or community needs its 12-digit division code")
                                    % {"label": label}, grids=[label])
            geoms.append(geom)
            for v in grid_problems(parent=parent, kind=kind, geometry=geom, label=label, network=network):
                problems.append((i, label, v))
        except RuleViolation as v:
            problems.append((i, label, v))
            geoms.append(None)
    if kind == GridKind.BASE:
        problems += _overlaps_within(specs, geoms)
    seen = set()
    for i, spec in enumerate(specs):
        if spec.code and spec.code in seen:
            problems.append((i, spec.name, RuleViolation("code_duplicate", _("Code %(code)s appears twice in the batch")
                                                          % {"code": spec.code}, grids=[spec.code])))
        seen.add(spec.code)
    if problems:
        raise BatchRuleViolation(sorted(problems, key=lambda p: p[0]))
    auto = [i for i, s in enumerate(specs) if not s.code]
    codes = {}
    if auto:
        order = order_west_east_north_south([geoms[i] for i in auto])
        for idx, code in zip(order, _next_codes(parent, len(auto))):
            codes[auto[idx]] = code
    grids = [_new_grid(parent=parent, level=level, kind=kind, spec=spec, geometry=geoms[i],
                       code=spec.code or codes[i], valid_from=valid_from, user=user, network=network)
             for i, spec in enumerate(specs)]
    ids = [g.pk for g in grids]
    if network == GridNetwork.BASE:
        pieces_rebuild(ids=ids)
        hooks.boundaries_changed(grid_ids=ids, area=_union([g.geometry for g in grids]))
    return grids


def _overlaps_within(specs, geoms) -> list[tuple[int, str, RuleViolation]]:
    """Base features of one batch must not overlap each other either (the toolkit's rule)."""
    idx = [i for i, g in enumerate(geoms) if g is not None]
    problems = []
    for a, b, _shared, area in overlaps([geoms[i] for i in idx], settings.GEOGRID_OVERLAP_TOLERANCE_M2):
        ia, ib = idx[a], idx[b]
        problems.append((ib, specs[ib].name, RuleViolation(
            "overlaps_sibling", _("%(a)s overlaps %(b)s by %(area).1f m²")
            % {"a": specs[ib].name, "b": specs[ia].name, "area": area}, grids=[specs[ib].name, specs[ia].name])))
    return problems


def _union(geoms):
    geoms = [g for g in geoms if g is not None]
    if not geoms:
        return None
    out = geoms[0]
    for g in geoms[1:]:
        out = out.union(g)
    return out


def grid_create(*, parent: Grid | None, level: int, name: str, geometry, kind: str = GridKind.BASE,
                code: str | None = None, station: Station | None = None, use: str = "",
                user=None, valid_from: dt.date | None = None, network: str = GridNetwork.BASE) -> Grid:
    """Create one grid; a broken rule raises that rule's RuleViolation."""
    try:
        return grids_create(parent=parent, level=level, kind=kind, user=user, valid_from=valid_from, network=network,
                            specs=[GridSpec(name=name, geometry=geometry, code=code, station=station, use=use)])[0]
    except BatchRuleViolation as batch:
        raise batch.problems[0][2] from None


class StaleVersion(RuleViolation):
    def __init__(self, grid: Grid, expected: int):
        super().__init__("stale_version", _("%(grid)s changed since you loaded it (version %(have)d, you had %(exp)d); reload and apply your edit again")
                         % {"grid": grid, "have": grid.version, "exp": expected}, grids=[grid.code])


@transaction.atomic
def grid_update(*, grid: Grid, user=None, expected_version: int | None = None, geometry=None,
                name: str | None = None, kind: str | None = None, use: str | None = None,
                station: Station | None | bool = False, note: str = "") -> Grid:
    """Change a grid's attributes and/or boundary. A boundary change is a new version; the
    old one is kept with its end date."""
    _lock(grid.parent, grid.network)
    grid = Grid.all_networks.select_for_update().get(pk=grid.pk)
    if grid.valid_to is not None:
        raise RuleViolation("grid_retired", _("%(grid)s is retired and cannot change") % {"grid": grid}, grids=[grid.code])
    if expected_version is not None and expected_version != grid.version:
        raise StaleVersion(grid, expected_version)
    if name is not None:
        grid.name = name
    if use is not None:
        grid.use = use
    if station is not False:
        grid.station = station
    if kind is not None:
        if kind not in GridKind.values:
            raise RuleViolation("kind_unknown", _("Unknown kind %(kind)s") % {"kind": kind})
        grid.kind = kind
    old_geometry = grid.geometry
    changed_boundary = geometry is not None
    if changed_boundary:
        geom = to_multipolygon(geometry, label=grid.code)
        problems = grid_problems(parent=grid.parent, kind=grid.kind, geometry=geom, exclude_ids=[grid.pk], label=grid.code,
                                 network=grid.network)
        if problems:
            raise problems[0]
        grid.geometry = geom
    elif kind is not None:
        if grid.network != GridNetwork.BASE and grid.kind != GridKind.BASE:
            raise RuleViolation("network_kind", _("Special grids belong to the administrative network only"))
        problems = grid_problems(parent=grid.parent, kind=grid.kind, geometry=grid.geometry,
                                 exclude_ids=[grid.pk], label=grid.code, network=grid.network)
        if problems:
            raise problems[0]
    if changed_boundary:
        today = timezone.localdate()
        GridVersion.objects.filter(grid=grid, valid_to__isnull=True).update(valid_to=today)
        grid.version += 1
        GridVersion.objects.create(grid=grid, version=grid.version, geometry=grid.geometry, valid_from=today,
                                   attributes=grid.attributes,
                                   change=note or _("boundary edited"), changed_by=user if user and user.pk else None)
    grid.full_clean(exclude=["path"])
    grid.save()
    if (changed_boundary or kind is not None) and grid.network == GridNetwork.BASE:
        pieces_rebuild(ids=[grid.pk])
        hooks.boundaries_changed(grid_ids=[grid.pk], area=_union([old_geometry, grid.geometry]))
    return grid


@transaction.atomic
def grid_retire(*, grid: Grid, on: dt.date | None = None, user=None, with_children: bool = False) -> Grid:
    """Retire a grid: it is kept with its end date, its code stays taken, its pieces go."""
    on = on or timezone.localdate()
    grid = Grid.all_networks.select_for_update().get(pk=grid.pk)
    if grid.valid_to is not None:
        return grid
    children = list(Grid.all_networks.filter(parent=grid, valid_to__isnull=True))
    if children and not with_children:
        raise RuleViolation("has_children", _("%(grid)s still has %(n)d current children; retire or move them first")
                            % {"grid": grid, "n": len(children)}, grids=[grid.code] + [c.code for c in children])
    for child in children:
        grid_retire(grid=child, on=on, user=user, with_children=True)
    grid.valid_to = on
    grid.save(update_fields=["valid_to", "updated_at"])
    GridVersion.objects.filter(grid=grid, valid_to__isnull=True).update(valid_to=on)
    GridPiece.objects.filter(grid=grid).delete()
    # What the retired grid held must be re-placed (or listed as a gap), like any other change.
    if grid.network == GridNetwork.BASE:
        hooks.boundaries_changed(grid_ids=[grid.pk], area=grid.geometry)
    return grid


def pieces_rebuild(*, ids: list[int] | None = None) -> None:
    """Refresh the subdivided lookup pieces of the given grids (all current grids if None)."""
    if ids is None:
        ids = list(Grid.objects.filter(valid_to__isnull=True).values_list("pk", flat=True))  # base network
    with connection.cursor() as cur:
        cur.execute(sql("pieces_rebuild"), {"ids": list(ids)})


@transaction.atomic
def station_create(*, name: str, code: str, address: str = "", phone: str = "") -> Station:
    station = Station(name=name, code=code, address=address, phone=phone)
    station.full_clean()
    station.save()
    return station
