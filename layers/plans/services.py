"""Writes to plans: drafts of a parent's base children, edited with undo/redo and published
atomically through the grids services (which keep codes, versions and hooks)."""
import json
import math
from collections import defaultdict

import shapely
from django.conf import settings
from django.contrib.gis.db.models import Union
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyproj import Geod

from layers.core.crs import to_storage
from layers.core.errors import RuleViolation
from layers.grids.geometry import geodesic_area_m2, to_multipolygon
from layers.grids.locate import locate_in_plan
from layers.grids.models import Grid, GridKind

from .models import Plan, PlanEdit, PlanGrid, PlanGridOrigin, PlanStatus
from .sqlfiles import sql

SRID = settings.GEOGRID_SRID
# Browser coordinates within this distance (m) of a neighbour's vertex are moved onto it, so
# hand-drawn edges meet exactly and leave no slivers.
SNAP_M = getattr(settings, "GEOGRID_PLAN_SNAP_M", 0.5)
# A split piece smaller than this (m²) is a sliver from a line grazing the boundary.
MIN_PIECE_M2 = 1.0


class PlanConflict(RuleViolation):
    """The parent's live children changed since the plan was made: publishing would overwrite
    someone else's published change. The API answers 409; the draft is kept."""


# --- geometry helpers ---------------------------------------------------------------------

def _shp(geom) -> shapely.Geometry:
    return shapely.from_wkb(bytes(geom.wkb))


def _geos(shape) -> MultiPolygon:
    # memoryview: GEOSGeometry takes plain bytes for text (WKT/HEX) and fails on WKB.
    geom = GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=SRID)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=SRID)
    return geom


def _polygonal(shape) -> shapely.Geometry:
    """Only the polygons of a shape (differences can leave lines and points behind)."""
    if shape.is_empty:
        return shape
    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    polys = [g for g in shapely.get_parts(shape) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _metres_to_degrees(metres: float, lat: float) -> float:
    # Longitude degrees shrink with latitude; take the larger of the two so the tolerance is
    # at least `metres` in both directions.
    return metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.1))


_GEOD = Geod(ellps="GRS80")
# A gap or overlap thinner than this on average (m) is float noise from noding two edges
# that are the same line, not a planner's mistake (300 m long and 0.07 mm wide: 0.02 m²).
NOISE_WIDTH_M = 0.01


def _significant(shape, tol_m2: float) -> bool:
    if shape.is_empty:
        return False
    area, perimeter = _GEOD.geometry_area_perimeter(shape)
    area = abs(area)
    return area > tol_m2 and (perimeter <= 0 or 2 * area / perimeter >= NOISE_WIDTH_M)


# --- snapshots, undo and redo ---------------------------------------------------------------

def _snap(grids) -> list[dict]:
    return [{"id": g.pk, "name": g.name, "kind": g.kind, "use": g.use, "geometry": g.geometry.hexewkb.decode()
             if isinstance(g.geometry.hexewkb, bytes) else g.geometry.hexewkb,
             "source_grid": g.source_grid_id, "origin": g.origin, "derived_from": g.derived_from} for g in grids]


def _restore(plan: Plan, states: list[dict]) -> None:
    for s in states:
        PlanGrid.objects.update_or_create(pk=s["id"], defaults={
            "plan": plan, "name": s["name"], "kind": s["kind"], "use": s["use"],
            "geometry": GEOSGeometry(s["geometry"]), "source_grid_id": s["source_grid"],
            "origin": s["origin"], "derived_from": s["derived_from"]})


def _record(plan: Plan, action: str, before: list[dict], after_ids: list[int], user=None) -> PlanEdit:
    """Store one edit and move the cursor; edits beyond the cursor (undone ones) are dropped."""
    PlanEdit.objects.filter(plan=plan, seq__gt=plan.cursor).delete()
    after = _snap(PlanGrid.objects.filter(plan=plan, pk__in=after_ids).order_by("pk"))
    plan.cursor += 1
    edit = PlanEdit.objects.create(plan=plan, seq=plan.cursor, action=action, before=before, after=after,
                                   author=user if user and user.pk else None)
    plan.save(update_fields=["cursor", "updated_at"])
    return edit


def _lock_draft(plan: Plan) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise RuleViolation("plan_closed", _("Plan %(id)s is %(status)s and can no longer change")
                            % {"id": plan.pk, "status": plan.get_status_display()})
    return plan


@transaction.atomic
def plan_undo(*, plan: Plan, user=None) -> Plan:
    """Undo the last applied edit of the plan."""
    plan = _lock_draft(plan)
    edit = PlanEdit.objects.filter(plan=plan, seq=plan.cursor).first()
    if edit is None:
        raise RuleViolation("nothing_to_undo", _("There is nothing to undo"))
    PlanGrid.objects.filter(plan=plan, pk__in=[s["id"] for s in edit.after]).delete()
    _restore(plan, edit.before)
    plan.cursor -= 1
    plan.save(update_fields=["cursor", "updated_at"])
    return plan


@transaction.atomic
def plan_redo(*, plan: Plan, user=None) -> Plan:
    """Apply again the edit that was undone last."""
    plan = _lock_draft(plan)
    edit = PlanEdit.objects.filter(plan=plan, seq=plan.cursor + 1).first()
    if edit is None:
        raise RuleViolation("nothing_to_redo", _("There is nothing to redo"))
    PlanGrid.objects.filter(plan=plan, pk__in=[s["id"] for s in edit.before]).delete()
    _restore(plan, edit.after)
    plan.cursor += 1
    plan.save(update_fields=["cursor", "updated_at"])
    return plan


# --- creating and closing -----------------------------------------------------------------

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
    plan = _lock_draft(plan)
    plan.status = PlanStatus.DISCARDED
    plan.save(update_fields=["status", "updated_at"])
    return plan


# --- editing --------------------------------------------------------------------------------

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
    plan = _lock_draft(plan)
    pg = _plan_grid(plan, grid.pk if isinstance(grid, PlanGrid) else grid)
    blade = _line_from(line, crs)
    poly = _shp(pg.geometry)
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
    before = _snap([pg])
    derived = pg.derived_from or ([pg.source_grid_id] if pg.source_grid_id else [])
    pg.delete()
    new = [PlanGrid.objects.create(plan=plan, name=f"{pg.name}-{i}", kind=pg.kind, use=pg.use, geometry=_geos(p),
                                   source_grid=None, origin=PlanGridOrigin.SPLIT, derived_from=derived)
           for i, p in enumerate(pieces, start=1)]
    _record(plan, "split", before, [g.pk for g in new], user)
    return new


def _adjacent(a, b, tol: float) -> bool:
    """Share an edge (a line, not just a point), allowing float noise of `tol` degrees."""
    if a.distance(b) > tol:
        return False
    return a.boundary.intersection(b.buffer(tol)).length > 10 * tol


@transaction.atomic
def plan_merge(*, plan: Plan, grids: list, user=None) -> PlanGrid:
    """Merge adjacent plan grids into one (ST_Union)."""
    plan = _lock_draft(plan)
    ids = []
    for g in grids:
        pk = g.pk if isinstance(g, PlanGrid) else g
        if pk not in ids:
            ids.append(pk)
    if len(ids) < 2:
        raise RuleViolation("merge_needs_two", _("Select at least two grids to merge"))
    pgs = [_plan_grid(plan, pk) for pk in ids]
    shapes = [_shp(p.geometry) for p in pgs]
    tol = _metres_to_degrees(0.01, shapes[0].centroid.y)
    # The selection must be connected through shared edges.
    reached, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for j in range(len(shapes)):
            if j not in reached and _adjacent(shapes[i], shapes[j], tol):
                reached.add(j)
                todo.append(j)
    if len(reached) != len(shapes):
        apart = [pgs[j] for j in range(len(pgs)) if j not in reached]
        raise RuleViolation("merge_not_adjacent", _("Only adjacent grids can be merged: %(names)s share no edge with the others")
                            % {"names": ", ".join(p.name for p in apart)}, grids=[str(p.pk) for p in apart])
    union = PlanGrid.objects.filter(pk__in=ids).aggregate(u=Union("geometry"))["u"]
    union = _polygonal(_shp(union))
    biggest = max(pgs, key=lambda p: p.geometry.area)
    before = _snap(sorted(pgs, key=lambda p: p.pk))
    derived = sorted({d for p in pgs for d in (p.derived_from or ([p.source_grid_id] if p.source_grid_id else []))})
    PlanGrid.objects.filter(pk__in=ids).delete()
    new = PlanGrid.objects.create(plan=plan, name=biggest.name, kind=biggest.kind, use=biggest.use,
                                  geometry=_geos(union), source_grid=None, origin=PlanGridOrigin.MERGE,
                                  derived_from=derived)
    _record(plan, "merge", before, [new.pk], user)
    return new


def _normalise(plan: Plan, geometry, *, exclude: list[int]) -> shapely.Geometry:
    """Browser coordinates -> storage shape: read, snapped onto the vertices of neighbouring
    plan grids and of the parent within SNAP_M (GEOS snap, as ST_Snap), clipped to the parent."""
    geom = to_multipolygon(geometry)
    shape = _shp(geom)
    parent = _shp(plan.parent.geometry)
    tol = _metres_to_degrees(SNAP_M, shape.centroid.y)
    near = [_shp(g.geometry) for g in PlanGrid.objects.filter(plan=plan, geometry__dwithin=(geom, tol))
            .exclude(pk__in=exclude)]
    reference = shapely.union_all([shapely.boundary(s) for s in near] + [parent.boundary])
    snapped = shapely.snap(shape, reference, tol)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    clipped = _polygonal(snapped.intersection(parent))
    if clipped.is_empty or geodesic_area_m2(clipped) < MIN_PIECE_M2:
        raise RuleViolation("outside_parent", _("The drawn grid lies outside the parent %(parent)s")
                            % {"parent": plan.parent}, grids=[plan.parent.code])
    return clipped


def _carve(plan: Plan, shape, *, exclude: list[int], released=None) -> tuple[list[dict], list[int]]:
    """Keep the tiling: base neighbours lose what `shape` now covers, and area `released` by
    a shrinking grid goes to the neighbour sharing the longest edge with it. Returns the
    neighbours' states before and the ids touched."""
    geom = _geos(shape)
    others = list(PlanGrid.objects.filter(plan=plan, kind=GridKind.BASE).exclude(pk__in=exclude))
    before, touched = [], []
    tol = _metres_to_degrees(0.01, shape.centroid.y)
    shapes = {o.pk: _shp(o.geometry) for o in others}
    new_shapes = dict(shapes)
    for o in others:
        s = shapes[o.pk]
        if s.intersects(shape) and _significant(s.intersection(shape), settings.GEOGRID_OVERLAP_TOLERANCE_M2):
            new_shapes[o.pk] = _polygonal(s.difference(shape))
    if released is not None and not released.is_empty:
        for piece in shapely.get_parts(_polygonal(released)):
            if not _significant(piece, settings.GEOGRID_OVERLAP_TOLERANCE_M2):
                continue
            best, best_len = None, 0.0
            for pk, s in new_shapes.items():
                if s.is_empty or s.distance(piece) > tol:
                    continue
                shared = piece.boundary.intersection(s.buffer(tol)).length
                if shared > best_len:
                    best, best_len = pk, shared
            if best is not None:
                new_shapes[best] = _polygonal(shapely.union_all([new_shapes[best], piece]))
    del geom
    for o in others:
        if new_shapes[o.pk] is shapes[o.pk]:
            continue
        before += _snap([o])
        touched.append(o.pk)
        if new_shapes[o.pk].is_empty or not _significant(new_shapes[o.pk], MIN_PIECE_M2):
            o.delete()
        else:
            o.geometry = _geos(new_shapes[o.pk])
            o.save(update_fields=["geometry"])
    return before, touched


@transaction.atomic
def plan_draw(*, plan: Plan, geometry, name: str = "", kind: str = GridKind.BASE, use: str = "",
              user=None, carve: bool = True) -> PlanGrid:
    """Add a new grid drawn by the planner; base neighbours give up the area it takes."""
    plan = _lock_draft(plan)
    if kind not in GridKind.values:
        raise RuleViolation("kind_unknown", _("Unknown kind %(kind)s") % {"kind": kind})
    shape = _normalise(plan, geometry, exclude=[])
    before, touched = ([], [])
    if carve and kind == GridKind.BASE:
        before, touched = _carve(plan, shape, exclude=[])
    pg = PlanGrid(plan=plan, name=name or _("new grid"), kind=kind, use=use, geometry=_geos(shape),
                  origin=PlanGridOrigin.DRAW)
    pg.full_clean(exclude=["plan"])
    pg.save()
    _record(plan, "draw", before, [pg.pk] + touched, user)
    return pg


@transaction.atomic
def plan_update_grid(*, plan: Plan, grid, user=None, geometry=None, name: str | None = None,
                     kind: str | None = None, use: str | None = None, carve: bool = True) -> PlanGrid:
    """Rename, change kind/use or move vertices of a plan grid. A new boundary is snapped to
    the neighbours; neighbours give up what it now covers and take what it released."""
    plan = _lock_draft(plan)
    pg = _plan_grid(plan, grid.pk if isinstance(grid, PlanGrid) else grid)
    before = _snap([pg])
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
        old = _shp(pg.geometry)
        shape = _normalise(plan, geometry, exclude=[pg.pk])
        if carve and pg.kind == GridKind.BASE:
            nb_before, touched = _carve(plan, shape, exclude=[pg.pk], released=_polygonal(old.difference(shape)))
            before += nb_before
        pg.geometry = _geos(shape)
    pg.full_clean(exclude=["plan"])
    pg.save()
    _record(plan, "update", before, [pg.pk] + touched, user)
    return pg


@transaction.atomic
def plan_replace_grids(*, plan: Plan, shapes: list[dict], user=None, action: str = "autopartition") -> list[PlanGrid]:
    """Replace all grids of the plan with new ones (one undoable edit). Each item: name,
    geometry (shapely/GEOS/GeoJSON), optional kind/use."""
    plan = _lock_draft(plan)
    old = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    before = _snap(old)
    derived = sorted({g.source_grid_id for g in old if g.source_grid_id})
    PlanGrid.objects.filter(plan=plan).delete()
    new = [PlanGrid.objects.create(plan=plan, name=s["name"], kind=s.get("kind", GridKind.BASE),
                                   use=s.get("use", ""), geometry=to_multipolygon(
                                       _geos(s["geometry"]) if isinstance(s["geometry"], shapely.Geometry)
                                       else s["geometry"]),
                                   origin=PlanGridOrigin.AUTO, derived_from=derived) for s in shapes]
    _record(plan, action, before, [g.pk for g in new], user)
    return new


# --- validation and impact ----------------------------------------------------------------

def _problem(rule, message, grids, shape=None, severity="error", **extra) -> dict:
    return {"rule": rule, "detail": message, "grids": grids, "severity": severity,
            "geometry": json.loads(shapely.to_geojson(shape)) if shape is not None and not shape.is_empty else None,
            **extra}


def plan_households(*, plan: Plan) -> dict[int, dict]:
    """Addresses and households per plan grid (point-in-polygon against the draft)."""
    out = defaultdict(lambda: {"addresses": 0, "households": 0})
    for _aid, hh, _old, new in _address_rows(plan):
        if new is not None:
            out[new]["addresses"] += 1
            out[new]["households"] += hh or 0
    return out


def _address_rows(plan: Plan) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql("impact_addresses"), {"plan": plan.pk, "parent": plan.parent_id})
        return cur.fetchall()


def _band_applies(pg: PlanGrid) -> bool:
    # Business-building and park grids hold few households by design; the band is for homes.
    return pg.kind == GridKind.BASE and pg.use in ("", "residential", "mixed")


def plan_validate(*, plan: Plan) -> list[dict]:
    """Problems of the draft, each with its rule, a message, the plan grid ids and a
    geometry for the map. severity "error" blocks publishing; "warning" does not."""
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    parent = _shp(plan.parent.geometry)
    tol = settings.GEOGRID_OVERLAP_TOLERANCE_M2
    problems = []
    shapes = {}
    for pg in pgs:
        s = _shp(pg.geometry)
        if not s.is_valid:
            problems.append(_problem("geometry_invalid", _("%(name)s is not a valid polygon: %(reason)s")
                                     % {"name": pg.name, "reason": shapely.is_valid_reason(s)}, [pg.pk], s))
            s = _polygonal(shapely.make_valid(s))
        shapes[pg.pk] = s
        outside = _polygonal(s.difference(parent))
        if _significant(outside, settings.GEOGRID_PARENT_TOLERANCE_M2):
            area = geodesic_area_m2(outside)
            problems.append(_problem("outside_parent", _("%(name)s lies outside the parent by %(area).1f m²")
                                     % {"name": pg.name, "area": area}, [pg.pk], outside, area_m2=round(area, 2)))
    base = [pg for pg in pgs if pg.kind == GridKind.BASE]
    base_shapes = [shapes[pg.pk] for pg in base]
    if base_shapes:
        tree = shapely.STRtree(base_shapes)
        for a, b in zip(*tree.query(base_shapes, predicate="intersects")):
            if a >= b:
                continue
            inter = _polygonal(base_shapes[a].intersection(base_shapes[b]))
            if _significant(inter, tol):
                area = geodesic_area_m2(inter)
                problems.append(_problem("overlap", _("%(a)s and %(b)s overlap by %(area).1f m²")
                                         % {"a": base[a].name, "b": base[b].name, "area": area},
                                         [base[a].pk, base[b].pk], inter, area_m2=round(area, 2)))
    covered = shapely.union_all(base_shapes) if base_shapes else shapely.Polygon()
    gaps = _polygonal(parent.difference(covered))
    for gap in shapely.get_parts(gaps):
        if _significant(gap, tol):
            area = geodesic_area_m2(gap)
            problems.append(_problem("gap", _("A gap of %(area).1f m² in the parent's coverage") % {"area": area},
                                     [], gap, area_m2=round(area, 2)))
    band = settings.GEOGRID_HOUSEHOLD_BAND.get(plan.level)
    if band:
        counts = plan_households(plan=plan)
        lo, hi = band
        for pg in base:
            if not _band_applies(pg):
                continue
            hh = counts[pg.pk]["households"] if pg.pk in counts else 0
            if hh < lo or hh > hi:
                problems.append(_problem(
                    "household_band", _("%(name)s has %(hh)d households, outside the band %(lo)d-%(hi)d")
                    % {"name": pg.name, "hh": hh, "lo": lo, "hi": hi}, [pg.pk], shapes[pg.pk], severity="warning",
                    households=hh, band=[lo, hi]))
    return problems


def _counts_of(model, plan: Plan, plan_grids: list, old_ids: set, parent_path: str) -> dict:
    """(old grid, new plan grid) -> count for Subject or Incident (open cases only: closed ones
    keep the grid they were handled in); the new plan grid by the one in-plan locate."""
    from layers.incidents.models import FINAL_STATUSES, Incident

    qs = model.objects.filter(grid__path__startswith=parent_path)
    if model is Incident:
        qs = qs.exclude(status__in=list(FINAL_STATUSES))
    point = "geometry" if any(f.name == "geometry" for f in model._meta.get_fields()) else "address__geometry"
    rows = list(qs.values_list("grid__path", point))
    children = {g.path: g.pk for g in Grid.objects.filter(pk__in=old_ids)}
    located = iter(locate_in_plan(plan_grids=plan_grids, points=[(pt.x, pt.y) for _p, pt in rows if pt is not None]))
    out = defaultdict(int)
    for path, pt in rows:
        old = next((pk for p, pk in children.items() if path and path.startswith(p)), None)
        new = next(located) if pt is not None else None
        out[(old, new)] += 1
    return out


def plan_impact(*, plan: Plan) -> dict:
    """What moves if the plan is published: addresses, households, subjects and open
    incidents from which old grid to which new one, and each new grid against the band."""
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    old = {g.pk: g for g in Grid.objects.filter(parent=plan.parent, kind=GridKind.BASE)
           .filter(pk__in=[f[0] for f in plan.base_fingerprint])}
    flows = defaultdict(lambda: {"addresses": 0, "households": 0, "subjects": 0, "incidents": 0})
    per_new = defaultdict(lambda: {"addresses": 0, "households": 0})
    for _aid, hh, o, n in _address_rows(plan):
        flows[(o, n)]["addresses"] += 1
        flows[(o, n)]["households"] += hh or 0
        if n is not None:
            per_new[n]["addresses"] += 1
            per_new[n]["households"] += hh or 0
    from layers.incidents.models import Incident
    from layers.subjects.models import Subject

    plan_grids = [(pg.pk, pg.source_grid.code if pg.source_grid_id else "", _shp(pg.geometry))
                  for pg in pgs if pg.kind == GridKind.BASE]
    for model, key in ((Subject, "subjects"), (Incident, "incidents")):
        for pair, n in _counts_of(model, plan, plan_grids, set(old), plan.parent.path).items():
            flows[pair][key] += n
    source_of = {pg.pk: pg.source_grid_id for pg in pgs}
    band = settings.GEOGRID_HOUSEHOLD_BAND.get(plan.level)
    names = {pg.pk: pg.name for pg in pgs}
    moves, totals = [], {"addresses": 0, "households": 0, "subjects": 0, "incidents": 0}
    for (o, n), c in sorted(flows.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0)):
        moved = n is None or source_of.get(n) != o
        item = {"from": {"id": o, "code": old[o].code, "name": old[o].name} if o in old else None,
                "to": {"id": n, "name": names.get(n)} if n is not None else None, "moves": moved, **c}
        moves.append(item)
        if moved:
            for k in totals:
                totals[k] += c[k]
    grids = []
    for pg in pgs:
        hh = per_new[pg.pk]["households"] if pg.pk in per_new else 0
        entry = {"id": pg.pk, "name": pg.name, "kind": pg.kind, "use": pg.use,
                 "source": {"id": pg.source_grid_id, "code": pg.source_grid.code} if pg.source_grid_id else None,
                 "addresses": per_new[pg.pk]["addresses"] if pg.pk in per_new else 0, "households": hh,
                 "band": list(band) if band else None, "in_band": None}
        if band and _band_applies(pg):
            entry["in_band"] = band[0] <= hh <= band[1]
        grids.append(entry)
    unchanged, retired = _publish_partition(plan, pgs, list(old.values()))[:2]
    return {"plan": plan.pk, "flows": moves, "moved": totals, "grids": grids,
            "retire": [{"id": g.pk, "code": g.code, "name": g.name} for g in retired],
            "unchanged": [pg.pk for pg in unchanged]}


# --- publishing -----------------------------------------------------------------------------

def _same_boundary(a, b) -> bool:
    return _shp(a).equals(_shp(b)) if a is not None and b is not None else False


def _publish_partition(plan: Plan, pgs: list[PlanGrid], live: list[Grid]):
    """Split the draft into (plan grids unchanged, live grids to retire, in-place updates
    [(plan grid, live grid)], new plan grids).

    Rule: a plan grid whose source grid is live and claimed by it alone keeps the grid and its
    code: unchanged if the boundary is equal, otherwise updated in place (a new version). A
    split or merged grid has no source: the old grids are retired and new codes issued."""
    live_by_id = {g.pk: g for g in live}
    claims = defaultdict(list)
    for pg in pgs:
        if pg.source_grid_id in live_by_id:
            claims[pg.source_grid_id].append(pg)
    unchanged, updates, new = [], [], []
    kept = set()
    for pg in pgs:
        src = pg.source_grid_id
        if src in live_by_id and len(claims[src]) == 1:
            kept.add(src)
            if _same_boundary(pg.geometry, live_by_id[src].geometry) and pg.kind == live_by_id[src].kind:
                unchanged.append(pg)
            else:
                updates.append((pg, live_by_id[src]))
        else:
            new.append(pg)
    retire = [g for g in live if g.pk not in kept]
    return unchanged, retire, updates, new


def _replace_addresses(retired_ids: list[int]) -> None:
    """When the boundary hooks left addresses in retired grids, the bulk assignment (the edge
    and gap rules of layers/grids/locate.py) moves them and clears what fell into a gap."""
    from layers.addresses.models import Address
    from layers.addresses.services import addresses_assign_all

    if Address.objects.filter(grid_id__in=retired_ids).exists():
        addresses_assign_all()


@transaction.atomic
def plan_publish(*, plan: Plan, user=None) -> dict:
    """Make the draft the live children of its parent, all or nothing."""
    from layers.grids.services import GridSpec, grid_retire, grid_update, grids_create

    plan = _lock_draft(plan)
    parent = Grid.objects.select_for_update().get(pk=plan.parent_id)
    current = parent_fingerprint(parent=parent)
    if current != plan.base_fingerprint:
        raise PlanConflict("plan_conflict", _("The grids of %(parent)s were changed by someone else since this plan was made; "
                                              "your draft is kept: start a new plan and apply your changes again")
                           % {"parent": parent}, grids=[parent.code])
    if parent.valid_to is not None:
        raise PlanConflict("plan_conflict", _("%(parent)s was retired since this plan was made") % {"parent": parent},
                           grids=[parent.code])
    blocking = [p for p in plan_validate(plan=plan) if p["severity"] == "error"]
    if blocking:
        raise RuleViolation("plan_invalid", _("The plan cannot be published while %(n)d problem(s) remain: %(first)s")
                            % {"n": len(blocking), "first": blocking[0]["detail"]},
                            extra={"problems": [{k: v for k, v in p.items() if k != "geometry"} for p in blocking]})
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    live = list(Grid.objects.filter(parent=parent, kind=GridKind.BASE, valid_to__isnull=True).order_by("pk"))
    unchanged, retire, updates, new = _publish_partition(plan, pgs, live)
    today = timezone.localdate()
    for g in retire:
        grid_retire(grid=g, on=today, user=user)
    for pg in unchanged:
        src = pg.source_grid
        if (pg.name, pg.use) != (src.name, src.use):
            grid_update(grid=src, user=user, name=pg.name, use=pg.use)
    # In-place updates may transiently overlap a neighbour that has not shrunk yet: retry in
    # rounds (each in a savepoint); what still cannot go in place is retired and re-created.
    pending = list(updates)
    while pending:
        progressed, later = False, []
        for pg, src in pending:
            try:
                with transaction.atomic():
                    grid_update(grid=src, user=user, geometry=pg.geometry, name=pg.name, kind=pg.kind,
                                use=pg.use, note=_("plan %(id)s") % {"id": plan.pk})
                progressed = True
            except RuleViolation:
                later.append((pg, src))
        pending = later
        if not progressed:
            for pg, src in pending:
                grid_retire(grid=src, on=today, user=user)
                retire.append(src)
                new.append(pg)
            break
    created = []
    by_kind = defaultdict(list)
    for pg in new:
        by_kind[pg.kind].append(pg)
    for kind, items in by_kind.items():
        grids = grids_create(parent=parent, level=plan.level, kind=kind, user=user, valid_from=today,
                             specs=[GridSpec(name=pg.name, geometry=pg.geometry, station=parent.station, use=pg.use)
                                    for pg in items])
        for pg, g in zip(items, grids):
            pg.source_grid = g
            pg.save(update_fields=["source_grid"])
        created += grids
    _replace_addresses([g.pk for g in retire])
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = timezone.now()
    plan.save(update_fields=["status", "published_at", "updated_at"])
    return {"plan": plan.pk, "created": [{"id": g.pk, "code": g.code, "name": g.name} for g in created],
            "retired": [{"id": g.pk, "code": g.code, "name": g.name} for g in retire],
            "updated": [{"id": src.pk, "code": src.code, "name": pg.name} for pg, src in updates if src not in retire],
            "unchanged": [pg.source_grid.code for pg in unchanged]}
