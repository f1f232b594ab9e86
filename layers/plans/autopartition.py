"""Auto-partition: propose base children of a target household band for a plan's parent.

Method: the parent is cut into blocks (the Voronoi cells of its address points) and the block
graph is split by recursive spanning-tree bisection (`treepart.py`, the method of GerryChain's
`recursive_tree_part`): every child is a connected set of blocks, so contiguous, and each cut
keeps both sides able to hold their children within the band; among the balanced cuts the
shortest is kept, so children are compact. The number of children is the one for which all can
be within the band, closest to the target. The report says for each child how far it is from
the target, its Polsby-Popper compactness, and why it cannot be within the band when that is so
(e.g. one address alone above the band). bench/partition.py measures it against GerryChain.

With guide lines (roads, rivers, walls), the parent's boundary and the lines are noded and
polygonised into faces (blocks); adjacent faces are merged, smallest first, into children of
about the target, so cuts run along the lines wherever the households allow. A face holding
more households than the band allows is cut further by the tree bisection above."""
import json
import math

import shapely
import shapely.ops
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from layers.core.crs import to_storage
from layers.core.errors import RuleViolation
from layers.grids.geometry import (geodesic_area_perimeter, geodesic_length_m, geos, metres_to_degrees,
                                   order_west_east_north_south, shp)

from .models import Plan
from .services import plan_replace_grids
from .treepart import tree_partition


def polsby_popper(shape) -> float:
    """4πA/P²: 1 for a circle, ~0.785 for a square, near 0 for a sliver."""
    area, perimeter = geodesic_area_perimeter(shape)
    return 4 * math.pi * abs(area) / perimeter ** 2 if perimeter else 0.0


def _points(plan: Plan) -> list[tuple[float, float, int, bool]]:
    """(x, y, households, is a home) of every address point inside the parent."""
    with connection.cursor() as cur:
        # ORM values_list would do, but this keeps the coordinates as floats without building
        # GEOS objects per row.
        cur.execute("SELECT ST_X(a.geometry), ST_Y(a.geometry), a.households, a.kind = 'residential' "
                    "FROM addresses_address a, grids_grid p "
                    "WHERE p.id = %s AND ST_Covers(p.geometry, a.geometry) ORDER BY a.id", [plan.parent_id])
        return [(x, y, int(h or 0), bool(home)) for x, y, h, home in cur.fetchall()]


def _use_of(pts: list, lo: int) -> str:
    """A child whose addresses are mostly offices and shops and whose households are fewer than
    the band's minimum is a business-building grid (the band is for homes, validation.band_applies)."""
    homes = sum(1 for p in pts if len(p) < 4 or p[3])
    return "business_building" if pts and homes * 2 < len(pts) and sum(p[2] for p in pts) < lo else "residential"


# --- guide lines -------------------------------------------------------------------------

# A guide line ending this close (m) to the parent's edge or another line is joined to it: a
# road drawn 3 m short of the crossing road would otherwise cut nothing.
LINE_JOIN_M = 15.0
# A child's edge this close (m) to a guide line counts as following it.
LINE_ON_M = 1.0


def _line_parts(geom: dict, crs: str) -> list:
    kind = geom.get("type") if isinstance(geom, dict) else None
    if kind == "Feature":
        return _line_parts(geom.get("geometry") or {}, crs)
    if kind == "FeatureCollection":
        return [part for f in geom.get("features") or [] for part in _line_parts(f, crs)]
    if kind == "GeometryCollection":
        return [part for g in geom.get("geometries") or [] for part in _line_parts(g, crs)]
    if kind == "LineString":
        rings = [geom["coordinates"]]
    elif kind == "MultiLineString":
        rings = geom["coordinates"]
    elif kind == "Polygon":  # a wall or a fence drawn as an area: its outline guides the cut
        rings = geom["coordinates"]
    elif kind == "MultiPolygon":
        rings = [r for poly in geom["coordinates"] for r in poly]
    else:
        raise ValueError(_("%(kind)s is not a line") % {"kind": kind})
    out = []
    for ring in rings:
        coords = [to_storage(c[0], c[1], crs) for c in ring]
        line = shapely.LineString(coords) if len(coords) >= 2 else None
        if line is None or line.length == 0:
            raise ValueError(_("a line needs at least two distinct points"))
        out.append(line)
    return out


def lines_from(lines, crs: str = "wgs84") -> shapely.Geometry:
    """Guide lines from GeoJSON (LineString, MultiLineString, Feature or FeatureCollection of
    lines, in lon/lat of `crs`) as one shapely MultiLineString in the storage datum."""
    try:
        if isinstance(lines, str):
            lines = json.loads(lines)
        parts = _line_parts(lines, crs)
    except RuleViolation:
        raise
    except Exception as exc:
        raise RuleViolation("lines_unreadable", _("The guide lines cannot be read: %(err)s") % {"err": exc})
    if not parts:
        raise RuleViolation("lines_unreadable", _("The guide lines hold no line"))
    return shapely.MultiLineString(parts)


def _joined(guides, parent) -> list:
    """Each line plus a short connector from every loose end to the nearest other line or the
    parent's edge, when that is within LINE_JOIN_M."""
    parts = list(shapely.get_parts(guides))
    edge = parent.boundary
    lat = parent.centroid.y
    near = metres_to_degrees(LINE_JOIN_M, lat)
    out = list(parts)
    pool = parts + [edge]
    tree = shapely.STRtree(pool)
    for i, line in enumerate(parts):
        for end in (shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])):
            if not parent.covers(end):
                continue
            close = [pool[j] for j in tree.query(end.buffer(near)).tolist() if j != i]
            if not close:
                continue
            others = shapely.union_all(close)
            d = others.distance(end)
            if 0 < d <= near:
                (tx, ty), (ex, ey) = shapely.ops.nearest_points(others, end)[0].coords[0], end.coords[0]
                # A little beyond the nearest point, so the connector crosses what it joins
                # rather than ending a rounding error short of it.
                f = 1 + metres_to_degrees(0.5, lat) / d
                out.append(shapely.LineString([(ex, ey), (ex + (tx - ex) * f, ey + (ty - ey) * f)]))
    return out


def _faces(parent, guides) -> list:
    """The parent cut by the guide lines into faces that tile it."""
    # Clip to a slightly larger parent: a line clipped exactly at the edge ends a hair off it
    # (the intersection point is rounded) and would be a dangle that polygonize ignores; one
    # that crosses the edge is noded with it.
    around = parent.buffer(metres_to_degrees(1.0, parent.centroid.y))
    inside = [shapely.intersection(line, around) for line in _joined(guides, parent)]
    net = shapely.union_all([parent.boundary] + [g for g in inside if not g.is_empty])
    faces = [f for f in shapely.get_parts(shapely.polygonize(shapely.get_parts(net)))
             if parent.covers(f.representative_point())]
    return faces or [parent]


def _share_on_lines(region, parent, guides):
    """Share (0..1) of the child's edge inside the parent that runs along a guide line; None
    when the child has no inner edge (it is the whole parent)."""
    lat = parent.centroid.y
    tol = metres_to_degrees(LINE_ON_M, lat)
    inner = shapely.difference(region.boundary, parent.boundary.buffer(tol))
    inner_m = geodesic_length_m(inner) if not inner.is_empty else 0.0
    if inner_m <= 0:
        return None
    on = shapely.intersection(inner, guides.buffer(tol))
    return round(min(1.0, geodesic_length_m(on) / inner_m) if not on.is_empty else 0.0, 3)


def _faces_merged(parent, guides, points, target, lo, hi, cells: list, notes: dict, strict: bool = False) -> dict:
    """Fill `cells` with (region, points) from the faces of the guide lines, merged smallest
    first into children of about the target; `notes` explains children that stay out of band.
    Unless `strict`, a child still out of band is re-cut with a neighbour when both then fit."""
    faces = _faces(parent, guides)
    tree = shapely.STRtree(faces)
    geoms = shapely.points([(p[0], p[1]) for p in points]) if points else []
    owner = [-1] * len(points)
    if points:
        pi, fi = tree.query(geoms, predicate="covered_by")
        for a, b in zip(pi.tolist(), fi.tolist()):
            if owner[a] < 0:
                owner[a] = b
        lost = [i for i, o in enumerate(owner) if o < 0]
        if lost:  # float noise on an edge: the nearest face holds it
            _pi, near = tree.query_nearest(geoms[lost], return_distance=False, all_matches=False)
            for a, b in zip(lost, near.tolist()):
                owner[a] = b
    face_points = [[] for _f in faces]
    for p, o in zip(points, owner):
        face_points[o].append(p)
    # Units: faces, and the bisected pieces of faces too large for the band.
    units, split_faces, unit_note = [], 0, []
    for face, pts in zip(faces, face_points):
        hh = sum(p[2] for p in pts)
        if hh > hi and len(pts) > 1:
            split_faces += 1
            pieces = tree_partition(face, pts, _k_for(hh, target, lo, hi) or max(2, round(hh / target)), lo, hi)
            for region, sub in pieces:
                if not region.is_empty:
                    units.append((region, sub))
                    unit_note.append(_("the block between the given lines holds %(n)d households, more than the "
                                       "band allows, so it was cut across by weighted bisection") % {"n": hh})
        else:
            units.append((face, pts))
            unit_note.append("")
    # Adjacency: the length of the edge two units share (a hair of tolerance for the cuts).
    eps = metres_to_degrees(0.001, parent.centroid.y)
    utree = shapely.STRtree([u[0] for u in units])
    adj: dict[int, dict[int, float]] = {i: {} for i in range(len(units))}
    for i, (shape, _pts) in enumerate(units):
        grown = shape.buffer(eps)
        for j in utree.query(grown).tolist():
            if j <= i:
                continue
            shared = shapely.intersection(units[j][0].boundary, grown).length
            if shared > eps * 10:
                adj[i][j] = adj[j][i] = shared
    groups = {i: {"units": [i], "hh": sum(p[2] for p in units[i][1]), "area": units[i][0].area}
              for i in range(len(units))}
    stuck: set[int] = set()
    merges = 0
    while True:
        cands = [g for g, v in groups.items() if v["hh"] < lo and g not in stuck]
        if not cands:
            break
        a = min(cands, key=lambda g: (groups[g]["hh"], groups[g]["area"]))
        if not adj[a]:
            stuck.add(a)
            continue

        def score(b):
            m = groups[a]["hh"] + groups[b]["hh"]
            rank = 0 if lo <= m <= hi else (1 if m < lo else 2)
            # Deviations within 5% of the target are alike; the longer shared edge then wins
            # (more compact children).
            return rank, round(abs(m - target) / max(target * 0.05, 1)), -adj[a][b]
        b = min(adj[a], key=score)
        merged = groups[a]["hh"] + groups[b]["hh"]
        if merged > hi and groups[a]["hh"] > 0 and merged - hi >= lo - groups[a]["hh"]:
            stuck.add(a)  # every merge would put a child further out of the band than a is now
            continue
        # Merge a into b.
        groups[b]["units"] += groups[a]["units"]
        groups[b]["hh"] = merged
        groups[b]["area"] += groups[a]["area"]
        for n, length in adj.pop(a).items():
            adj[n].pop(a, None)
            if n != b:
                adj[b][n] = adj[b].get(n, 0.0) + length
                adj[n][b] = adj[n].get(b, 0.0) + length
        del groups[a]
        stuck.discard(b)
        merges += 1
    final: dict[int, list] = {}
    for g, v in groups.items():
        region = shapely.union_all([units[u][0] for u in v["units"]])
        pts = [p for u in v["units"] for p in units[u][1]]
        note = next((unit_note[u] for u in v["units"] if unit_note[u]), "")
        if v["hh"] < lo:
            if not adj.get(g):
                note = _("the given lines enclose this block (%(n)d households) with no neighbour to merge "
                         "it with") % {"n": v["hh"]}
            else:
                note = _("bounded by the given lines, this block has %(n)d households, and merging it with any "
                         "neighbour would go further beyond the band's maximum") % {"n": v["hh"]}
        elif v["hh"] > hi and not note and len(v["units"]) > 1:
            note = _("merged with a neighbour because alone it was further below the band than together "
                     "they are above it")
        final[len(final)] = [region, pts, note]
    rebalanced = 0 if strict else _rebalance(final, target, lo, hi, eps)
    for region, pts, note in final.values():
        if note:
            notes[len(cells)] = note
        cells.append((region, pts))
    return {"given": len(shapely.get_parts(guides)), "faces": len(faces), "split_faces": split_faces,
            "merges": merges, "rebalanced": rebalanced}


def _k_for(hh: int, target: float, lo: int, hi: int) -> int | None:
    """How many cells of `hh` households are all within the band, closest to the target size;
    None when no count is."""
    first = max(1, math.ceil(hh / hi)) if hi > 0 else 1
    last = math.floor(hh / lo) if lo > 0 else first
    ks = range(first, last + 1)
    return min(ks, key=lambda k: abs(hh / k - target)) if ks else None


def _rebalance(final: dict, target: float, lo: int, hi: int, eps: float) -> int:
    """Re-cut a child out of band together with a neighbour by weighted bisection when that
    brings both within the band (the cut between them then leaves the lines). Returns how
    many pairs were re-cut."""
    done, tried = 0, set()
    next_id = max(final, default=-1) + 1

    def hh(cid):
        return sum(p[2] for p in final[cid][1])
    while True:
        bad = [c for c in final if c not in tried and not lo <= hh(c) <= hi]
        if not bad:
            return done
        a = max(bad, key=lambda c: max(lo - hh(c), hh(c) - hi))
        tried.add(a)
        ids = list(final)
        tree = shapely.STRtree([final[c][0] for c in ids])
        grown = final[a][0].buffer(eps)
        shared = {}
        for j in tree.query(grown).tolist():
            b = ids[j]
            if b != a:
                length = shapely.intersection(final[b][0].boundary, grown).length
                if length > eps * 10:
                    shared[b] = length
        for b in sorted(shared, key=lambda b: -shared[b]):
            pts = final[a][1] + final[b][1]
            k = _k_for(sum(p[2] for p in pts), target, lo, hi)
            if k is None:
                continue
            pieces = tree_partition(shapely.union_all([final[a][0], final[b][0]]), pts, k, lo, hi)
            if all(len(shapely.get_parts(r)) == 1 and lo <= sum(p[2] for p in sub) <= hi for r, sub in pieces):
                del final[a], final[b]
                for r, sub in pieces:
                    final[next_id] = [r, sub, ""]
                    next_id += 1
                done += 1
                break


def autopartition_propose(*, plan: Plan, target_households: int | None = None,
                          band: tuple[int, int] | list | None = None, lines=None,
                          crs: str = "wgs84", strict_lines: bool = False) -> tuple[list[dict], dict]:
    """Cells (name, geometry, report) for the plan's parent; nothing is stored."""
    level_band = settings.GEOGRID_HOUSEHOLD_BAND.get(plan.level)
    try:
        if band:
            lo, hi = int(band[0]), int(band[1])
            target = (lo + hi) / 2
        elif target_households:
            target = int(target_households)
            lo, hi = round(target * 0.8), round(target * 1.2)
        elif level_band:
            lo, hi = level_band
            target = (lo + hi) / 2
        else:
            raise ValueError
    except (TypeError, ValueError, IndexError):
        raise RuleViolation("autopartition_target", _("Give target_households (a positive number) or band [min, max]"))
    if target <= 0 or lo > hi or lo < 0:
        raise RuleViolation("autopartition_target", _("The target must be positive and the band ordered (min <= max)"))
    points = _points(plan)
    total = sum(p[2] for p in points)
    k = _k_for(total, target, lo, hi) or max(1, round(total / target))
    # Too many cells for one parent's 3-digit code sequence would fail at publish.
    k = min(k, 500)
    parent = shp(plan.parent.geometry)
    guides = lines_from(lines, crs) if lines else None
    cells: list = []
    notes: dict[int, str] = {}
    line_stats = None
    if guides is None:
        cells = tree_partition(parent, points, k, lo, hi)
    else:
        line_stats = _faces_merged(parent, guides, points, target, lo, hi, cells, notes, strict=strict_lines)
    order = order_west_east_north_south([geos(c[0]) for c in cells])
    out, report = [], []
    for n, i in enumerate(order, start=1):
        region, pts = cells[i]
        hh = sum(p[2] for p in pts)
        name = _("%(parent)s auto %(n)d") % {"parent": plan.parent.name, "n": n}
        parts = len(shapely.get_parts(region))
        use = _use_of(pts, lo)
        applies = use == "residential"
        why = ""
        if not applies:
            why = _("its addresses are mostly offices and shops (%(n)d households): a business-building grid, "
                    "to which the household band does not apply") % {"n": hh}
        elif not lo <= hh <= hi and notes.get(i) and total >= lo:
            why = notes[i]
        elif not lo <= hh <= hi:
            biggest = max((p[2] for p in pts), default=0)
            if biggest > hi:
                why = _("one address alone has %(n)d households, more than the band allows") % {"n": biggest}
            elif total < lo:
                why = _("the whole parent has only %(n)d households, fewer than the band's minimum") % {"n": total}
            else:
                why = _("households are clustered: no cut between neighbouring addresses gives a share inside "
                        "the band here; move the cut by hand")
        if parts > 1:
            why = (why + "; " if why else "") + _("the parent's shape makes this cell %(n)d separate parts") % {"n": parts}
        entry = {"name": name, "households": hh, "addresses": len(pts), "target": target, "band": [lo, hi],
                 "deviation": round((hh - target) / target, 3), "in_band": (lo <= hh <= hi) if applies else None,
                 "use": use,
                 "compactness": round(polsby_popper(region), 3), "parts": parts, "explanation": why}
        if guides is not None:
            entry["on_lines"] = _share_on_lines(region, parent, guides)
        report.append(entry)
        out.append({"name": name, "geometry": region, "use": use})
    summary = {"cells": len(out), "target": target, "band": [lo, hi], "total_households": total,
               "in_band": sum(1 for r in report if r["in_band"]),
               "band_applies": sum(1 for r in report if r["in_band"] is not None), "grids": report,
               "method": "recursive spanning-tree bisection of address blocks"}
    if guides is not None:
        summary["method"] = "faces of the given lines merged to the target, spanning-tree bisection inside too large faces"
        summary["lines"] = line_stats
    return out, summary


def plan_autopartition(*, plan: Plan, user=None, target_households=None, band=None, lines=None,
                       crs: str = "wgs84", strict_lines: bool = False) -> dict:
    """Replace the plan's grids with a proposal (one undoable edit) and report on it."""
    shapes, summary = autopartition_propose(plan=plan, target_households=target_households, band=band,
                                            lines=lines, crs=crs, strict_lines=strict_lines)
    grids = plan_replace_grids(plan=plan, shapes=shapes, user=user, action="autopartition")
    for entry, g in zip(summary["grids"], grids):
        entry["id"] = g.pk
    return summary
