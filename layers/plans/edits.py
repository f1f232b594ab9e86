"""Editing a plan's draft: create and discard, split, merge, draw, update and replace its grids.
Every edit locks the draft, keeps the tiling (neighbours give up or take area) and is recorded
for undo (history.py). Geometry rules come from the grids' toolkit (layers/grids/geometry.py)."""
import json
import math

import shapely
from django.conf import settings
from django.contrib.gis.db.models import Union
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils.translation import gettext as _

from layers.core.crs import to_storage
from layers.core.errors import RuleViolation
from layers.core.sqlfiles import sql_loader
from layers.grids.geometry import (geodesic_area_m2, geos, metres_to_degrees, polygonal, shares_edge, shp,
                                   significant, to_multipolygon)
from layers.grids.models import Grid, GridKind

from .history import lock_draft, record_edit, snapshot
from .models import Plan, PlanGrid, PlanGridOrigin, PlanStatus

sql = sql_loader("plans")

SRID = settings.GEOGRID_SRID
# Browser coordinates within this distance (m) of a neighbour's vertex are moved onto it, so
# hand-drawn edges meet exactly and leave no slivers.
SNAP_M = getattr(settings, "GEOGRID_PLAN_SNAP_M", 0.5)
# A split piece smaller than this (m²) is a sliver from a line grazing the boundary.
MIN_PIECE_M2 = 1.0


def parent_fingerprint(*, parent: Grid) -> list[list[int]]:
    """[[id, version], ...] of the parent's current base children, sorted."""
    return [list(r) for r in Grid.objects.filter(parent=parent, kind=GridKind.BASE, valid_to__isnull=True)
            .order_by("pk").values_list("pk", "version")]


@transaction.atomic
def plan_create(*, parent: Grid, user=None, name: str = "") -> Plan:
    """A draft holding a copy of the parent's current base children."""
    parent = Grid.objects.get(pk=parent.pk)
    if parent.valid_to is not None:
        raise RuleViolation("grid_retired", _("%(grid)s is retired; plan on a current grid") % {"grid": parent},
                            grids=[parent.code])
    if parent.kind != GridKind.BASE:
        raise RuleViolation("plan_parent_special", _("%(grid)s is a special grid; only base grids have base children to plan")
                            % {"grid": parent}, grids=[parent.code])
    children = list(Grid.objects.filter(parent=parent, kind=GridKind.BASE, valid_to__isnull=True).order_by("code"))
    level = children[0].level if children else parent.level + 1
    if level not in settings.GEOGRID_LEVELS:
        raise RuleViolation("level_unknown", _("%(grid)s is at the lowest level and cannot have children")
                            % {"grid": parent}, grids=[parent.code])
    plan = Plan(parent=parent, author=user if user and user.pk else None, name=name, level=level,
                base_fingerprint=[[c.pk, c.version] for c in sorted(children, key=lambda c: c.pk)])
    plan.full_clean()
    plan.save()
    PlanGrid.objects.bulk_create([PlanGrid(plan=plan, name=c.name, kind=c.kind, use=c.use, geometry=c.geometry,
                                           source_grid=c, origin=PlanGridOrigin.COPY, derived_from=[c.pk])
                                  for c in children])
    return plan


@transaction.atomic
def plan_discard(*, plan: Plan, user=None) -> Plan:
    """Close a draft without publishing; it is kept for the record."""
    plan = lock_draft(plan)
    plan.status = PlanStatus.DISCARDED
    plan.save(update_fields=["status", "updated_at"])
    return plan


def _line_from(line, crs: str = "wgs84") -> shapely.LineString:
    try:
        if isinstance(line, str):
            line = json.loads(line)
        if isinstance(line, dict) and line.get("type") == "Feature":
            line = line["geometry"]
        if not isinstance(line, dict) or line.get("type") != "LineString":
            raise ValueError(_("a GeoJSON LineString is required"))
        coords = [to_storage(c[0], c[1], crs) for c in line["coordinates"]]
    except RuleViolation:
        raise
    except Exception as exc:
        raise RuleViolation("line_unreadable", _("The split line cannot be read: %(err)s") % {"err": exc})
    shape = shapely.LineString(coords) if len(coords) >= 2 else None
    if shape is None or shape.length == 0:
        raise RuleViolation("line_unreadable", _("The split line needs at least two distinct points"))
    return shape


def _extend_end(line_coords: list, at_start: bool, poly, far: float) -> list:
    """Extend one end of the line along its last segment until it crosses the boundary of
    `poly`, when it stops inside: a line ending 0.001 short of the edge splits nothing."""
    end = line_coords[0] if at_start else line_coords[-1]
    prev = line_coords[1] if at_start else line_coords[-2]
    pt = shapely.Point(end)
    if not poly.covers(pt):
        return line_coords
    dx, dy = end[0] - prev[0], end[1] - prev[1]
    norm = math.hypot(dx, dy)
    if norm == 0:
        return line_coords
    dx, dy = dx / norm, dy / norm
    ray = shapely.LineString([end, (end[0] + dx * far, end[1] + dy * far)])
    hits = ray.intersection(poly.boundary)
    points = [p for p in shapely.get_parts(hits) for p in ([p] if p.geom_type == "Point" else
                                                           [shapely.Point(c) for c in p.coords])]
    if not points:
        return line_coords
    nearest = min(points, key=lambda p: p.distance(pt))
    d = nearest.distance(pt)
    # A little beyond the edge so the blade truly crosses it; much less than any grid.
    d += far * 1e-4
    new = (end[0] + dx * d, end[1] + dy * d)
    return [new] + line_coords if at_start else line_coords + [new]


def _plan_grid(plan: Plan, pk) -> PlanGrid:
    try:
        return PlanGrid.objects.get(plan=plan, pk=int(pk))
    except (PlanGrid.DoesNotExist, TypeError, ValueError):
        raise RuleViolation("plan_grid_unknown", _("Grid %(id)s is not part of plan %(plan)s")
                            % {"id": pk, "plan": plan.pk}, grids=[str(pk)])


@transaction.atomic
def plan_split(*, plan: Plan, grid, line, user=None, crs: str = "wgs84") -> list[PlanGrid]:
    """Split a plan grid with a line (ST_Split); both ends are extended to the boundary first."""
    plan = lock_draft(plan)
    pg = _plan_grid(plan, grid.pk if isinstance(grid, PlanGrid) else grid)
    blade = _line_from(line, crs)
    poly = shp(pg.geometry)
    minx, miny, maxx, maxy = poly.bounds
    far = 2 * math.hypot(maxx - minx, maxy - miny) + 1e-9
    coords = list(blade.coords)
    coords = _extend_end(coords, True, poly, far)
    coords = _extend_end(coords, False, poly, far)
    blade = shapely.LineString(coords)
    with connection.cursor() as cur:
        cur.execute(sql("split"), {"geom": bytes(pg.geometry.ewkb),
                                   "blade": bytes(GEOSGeometry(memoryview(shapely.to_wkb(blade)), srid=SRID).ewkb)})
        pieces = [shapely.from_wkb(bytes(r[0])) for r in cur.fetchall()]
    if len(pieces) < 2:
        raise RuleViolation("split_no_cut", _("The line does not cut %(name)s into two or more parts; draw it across the grid")
                            % {"name": pg.name}, grids=[str(pg.pk)])
    small = [p for p in pieces if geodesic_area_m2(p) < MIN_PIECE_M2]
    if small:
        raise RuleViolation("split_sliver", _("The line only grazes %(name)s and would leave a sliver of %(area).2f m²")
                            % {"name": pg.name, "area": geodesic_area_m2(small[0])}, grids=[str(pg.pk)])
    before = snapshot([pg])
    derived = pg.derived_from or ([pg.source_grid_id] if pg.source_grid_id else [])
    pg.delete()
    new = [PlanGrid.objects.create(plan=plan, name=f"{pg.name}-{i}", kind=pg.kind, use=pg.use, geometry=geos(p),
                                   source_grid=None, origin=PlanGridOrigin.SPLIT, derived_from=derived)
           for i, p in enumerate(pieces, start=1)]
    record_edit(plan, "split", before, [g.pk for g in new], user)
    return new


@transaction.atomic
def plan_merge(*, plan: Plan, grids: list, user=None) -> PlanGrid:
    """Merge adjacent plan grids into one (ST_Union)."""
    plan = lock_draft(plan)
    ids = []
    for g in grids:
        pk = g.pk if isinstance(g, PlanGrid) else g
        if pk not in ids:
            ids.append(pk)
    if len(ids) < 2:
        raise RuleViolation("merge_needs_two", _("Select at least two grids to merge"))
    pgs = [_plan_grid(plan, pk) for pk in ids]
    shapes = [shp(p.geometry) for p in pgs]
    tol = metres_to_degrees(0.01, shapes[0].centroid.y)
    # The selection must be connected through shared edges.
    reached, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for j in range(len(shapes)):
            if j not in reached and shares_edge(shapes[i], shapes[j], tol):
                reached.add(j)
                todo.append(j)
    if len(reached) != len(shapes):
        apart = [pgs[j] for j in range(len(pgs)) if j not in reached]
        raise RuleViolation("merge_not_adjacent", _("Only adjacent grids can be merged: %(names)s share no edge with the others")
                            % {"names": ", ".join(p.name for p in apart)}, grids=[str(p.pk) for p in apart])
    union = PlanGrid.objects.filter(pk__in=ids).aggregate(u=Union("geometry"))["u"]
    union = polygonal(shp(union))
    biggest = max(pgs, key=lambda p: p.geometry.area)
    before = snapshot(sorted(pgs, key=lambda p: p.pk))
    derived = sorted({d for p in pgs for d in (p.derived_from or ([p.source_grid_id] if p.source_grid_id else []))})
    PlanGrid.objects.filter(pk__in=ids).delete()
    new = PlanGrid.objects.create(plan=plan, name=biggest.name, kind=biggest.kind, use=biggest.use,
                                  geometry=geos(union), source_grid=None, origin=PlanGridOrigin.MERGE,
                                  derived_from=derived)
    record_edit(plan, "merge", before, [new.pk], user)
    return new


def _normalise(plan: Plan, geometry, *, exclude: list[int]) -> shapely.Geometry:
    """Browser coordinates -> storage shape: read, snapped onto the vertices of neighbouring
    plan grids and of the parent within SNAP_M (GEOS snap, as ST_Snap), clipped to the parent."""
    geom = to_multipolygon(geometry)
    shape = shp(geom)
    parent = shp(plan.parent.geometry)
    tol = metres_to_degrees(SNAP_M, shape.centroid.y)
    near = [shp(g.geometry) for g in PlanGrid.objects.filter(plan=plan, geometry__dwithin=(geom, tol))
            .exclude(pk__in=exclude)]
    reference = shapely.union_all([shapely.boundary(s) for s in near] + [parent.boundary])
    snapped = shapely.snap(shape, reference, tol)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    clipped = polygonal(snapped.intersection(parent))
    if clipped.is_empty or geodesic_area_m2(clipped) < MIN_PIECE_M2:
        raise RuleViolation("outside_parent", _("The drawn grid lies outside the parent %(parent)s")
                            % {"parent": plan.parent}, grids=[plan.parent.code])
    return clipped


def _carve(plan: Plan, shape, *, exclude: list[int], released=None) -> tuple[list[dict], list[int]]:
    """Keep the tiling: base neighbours lose what `shape` now covers, and area `released` by
    a shrinking grid goes to the neighbour sharing the longest edge with it. Returns the
    neighbours' states before and the ids touched."""
    geom = geos(shape)
    others = list(PlanGrid.objects.filter(plan=plan, kind=GridKind.BASE).exclude(pk__in=exclude))
    before, touched = [], []
    tol = metres_to_degrees(0.01, shape.centroid.y)
    shapes = {o.pk: shp(o.geometry) for o in others}
    new_shapes = dict(shapes)
    for o in others:
        s = shapes[o.pk]
        if s.intersects(shape) and significant(s.intersection(shape), settings.GEOGRID_OVERLAP_TOLERANCE_M2):
            new_shapes[o.pk] = polygonal(s.difference(shape))
    if released is not None and not released.is_empty:
        for piece in shapely.get_parts(polygonal(released)):
            if not significant(piece, settings.GEOGRID_OVERLAP_TOLERANCE_M2):
                continue
            best, best_len = None, 0.0
            for pk, s in new_shapes.items():
                if s.is_empty or s.distance(piece) > tol:
                    continue
                shared = piece.boundary.intersection(s.buffer(tol)).length
                if shared > best_len:
                    best, best_len = pk, shared
            if best is not None:
                new_shapes[best] = polygonal(shapely.union_all([new_shapes[best], piece]))
    del geom
    for o in others:
        if new_shapes[o.pk] is shapes[o.pk]:
            continue
        before += snapshot([o])
        touched.append(o.pk)
        if new_shapes[o.pk].is_empty or not significant(new_shapes[o.pk], MIN_PIECE_M2):
            o.delete()
        else:
            o.geometry = geos(new_shapes[o.pk])
            o.save(update_fields=["geometry"])
    return before, touched


@transaction.atomic
def plan_draw(*, plan: Plan, geometry, name: str = "", kind: str = GridKind.BASE, use: str = "",
              user=None, carve: bool = True) -> PlanGrid:
    """Add a new grid drawn by the planner; base neighbours give up the area it takes."""
    plan = lock_draft(plan)
    if kind not in GridKind.values:
        raise RuleViolation("kind_unknown", _("Unknown kind %(kind)s") % {"kind": kind})
    shape = _normalise(plan, geometry, exclude=[])
    before, touched = ([], [])
    if carve and kind == GridKind.BASE:
        before, touched = _carve(plan, shape, exclude=[])
    pg = PlanGrid(plan=plan, name=name or _("new grid"), kind=kind, use=use, geometry=geos(shape),
                  origin=PlanGridOrigin.DRAW)
    pg.full_clean(exclude=["plan"])
    pg.save()
    record_edit(plan, "draw", before, [pg.pk] + touched, user)
    return pg


@transaction.atomic
def plan_update_grid(*, plan: Plan, grid, user=None, geometry=None, name: str | None = None,
                     kind: str | None = None, use: str | None = None, carve: bool = True) -> PlanGrid:
    """Rename, change kind/use or move vertices of a plan grid. A new boundary is snapped to
    the neighbours; neighbours give up what it now covers and take what it released."""
    plan = lock_draft(plan)
    pg = _plan_grid(plan, grid.pk if isinstance(grid, PlanGrid) else grid)
    before = snapshot([pg])
    touched = []
    if name is not None:
        if not str(name).strip():
            raise RuleViolation("name_empty", _("A grid needs a name"), grids=[str(pg.pk)])
        pg.name = str(name).strip()[:100]
    if kind is not None:
        if kind not in GridKind.values:
            raise RuleViolation("kind_unknown", _("Unknown kind %(kind)s") % {"kind": kind})
        pg.kind = kind
    if use is not None:
        pg.use = use
    if geometry is not None:
        old = shp(pg.geometry)
        shape = _normalise(plan, geometry, exclude=[pg.pk])
        if carve and pg.kind == GridKind.BASE:
            nb_before, touched = _carve(plan, shape, exclude=[pg.pk], released=polygonal(old.difference(shape)))
            before += nb_before
        pg.geometry = geos(shape)
    pg.full_clean(exclude=["plan"])
    pg.save()
    record_edit(plan, "update", before, [pg.pk] + touched, user)
    return pg


@transaction.atomic
def plan_replace_grids(*, plan: Plan, shapes: list[dict], user=None, action: str = "autopartition") -> list[PlanGrid]:
    """Replace all grids of the plan with new ones (one undoable edit). Each item: name,
    geometry (shapely/GEOS/GeoJSON), optional kind/use."""
    plan = lock_draft(plan)
    old = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    before = snapshot(old)
    derived = sorted({g.source_grid_id for g in old if g.source_grid_id})
    PlanGrid.objects.filter(plan=plan).delete()
    new = [PlanGrid.objects.create(plan=plan, name=s["name"], kind=s.get("kind", GridKind.BASE),
                                   use=s.get("use", ""), geometry=to_multipolygon(
                                       geos(s["geometry"]) if isinstance(s["geometry"], shapely.Geometry)
                                       else s["geometry"]),
                                   origin=PlanGridOrigin.AUTO, derived_from=derived) for s in shapes]
    record_edit(plan, action, before, [g.pk for g in new], user)
    return new
