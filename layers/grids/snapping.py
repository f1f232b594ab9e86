"""Fitting real neighbours together at import. Boundaries from two sources never tile exactly:
they overlap by tens of thousands of m² and leave slivers. Before the rules are checked, an
import may (1) snap vertices to the stored neighbours, the parent and the features already
fitted within N metres, (2) clip overlaps (and parts outside the parent) up to a stated area,
(3) give each gap up to a stated area to the incoming feature sharing the longest edge with it.
Every change is reported with the grids and m² involved; what remains is reported with its
polygons. Pure shapely on a local metric frame (metres east/north of the batch's centre);
stored grids are never changed here."""
import json
import math
from dataclasses import dataclass, field

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import unary_union


@dataclass
class Fitted:
    geoms: list                      # the incoming geometries after fitting (lon/lat)
    adjustments: list[dict] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)       # remaining, with GeoJSON polygons
    overlaps: list[dict] = field(default_factory=list)


class _Frame:
    """lon/lat <-> metres on a local equirectangular frame around (lon0, lat0)."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_574.0

    def to_m(self, g):
        return shapely.transform(g, lambda c: (c - (self.lon0, self.lat0)) * (self.kx, self.ky))

    def to_ll(self, g):
        return shapely.transform(g, lambda c: c / (self.kx, self.ky) + (self.lon0, self.lat0))


def _polygonal(g):
    """Only the areal part of a result (clipping can leave lines and points behind)."""
    if g is None or g.is_empty:
        return Polygon()
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return shapely.make_valid(g) if not g.is_valid else g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return unary_union(parts) if parts else Polygon()


def _parts(g):
    g = _polygonal(g)
    return list(g.geoms) if g.geom_type == "MultiPolygon" else ([g] if not g.is_empty else [])


def fit_batch(geoms: list, labels: list[str], *, neighbours: list[tuple[str, object]], parent=None,
              snap_m: float = 0.0, clip_max_m2: float = 0.0, sliver_max_m2: float = 0.0,
              tolerance_m2: float = 1.0) -> Fitted:
    """Fit incoming lon/lat geometries (shapely) to stored `neighbours` [(code, geometry)] and the
    `parent` geometry; see the module docstring. snap_m = 0 only measures what remains."""
    valid = [g for g in geoms if g is not None and not g.is_empty and g.is_valid]
    if not valid:
        return Fitted(geoms=list(geoms))
    c = unary_union(valid).centroid
    frame = _Frame(c.x, c.y)
    # Invalid input is left alone (the rules report it feature by feature), never repaired silently.
    inc = [frame.to_m(_polygonal(g)) if g is not None and g.is_valid else None for g in geoms]
    nbr = [(code, frame.to_m(_polygonal(g))) for code, g in neighbours]
    par = frame.to_m(_polygonal(parent)) if parent is not None else None
    out = Fitted(geoms=list(geoms))

    def note(kind, i, other, area):
        if area > 0.005:
            out.adjustments.append({"action": kind, "grid": labels[i], "other": other, "area_m2": round(area, 1)})

    if snap_m > 0:
        # 1. snap to stored neighbours and the parent, then to the features fitted before
        fixed = [g.boundary for _c, g in nbr] + ([par.boundary] if par is not None else [])
        for i, g in enumerate(inc):
            if g is None or g.is_empty:
                continue
            ref = unary_union(fixed) if fixed else None
            if ref is not None and not ref.is_empty:
                snapped = _polygonal(shapely.make_valid(shapely.snap(g, ref, snap_m)))
                moved = snapped.symmetric_difference(g).area
                if moved > 0.005:
                    note("snap", i, "", moved)
                inc[i] = g = snapped
            fixed.append(g.boundary)
        # 2. clip: outside the parent, over stored neighbours, over earlier features of the batch
        for i, g in enumerate(inc):
            if g is None or g.is_empty:
                continue
            if par is not None:
                outside = g.difference(par).area
                if 0 < outside <= clip_max_m2:
                    g = _polygonal(g.intersection(par))
                    note("clip_outside_parent", i, "parent", outside)
            for code, n in nbr:
                if g.intersects(n):
                    area = g.intersection(n).area
                    if tolerance_m2 < area <= clip_max_m2:
                        g = _polygonal(g.difference(n))
                        note("clip_overlap", i, code, area)
            for j in range(i):
                if inc[j] is not None and g.intersects(inc[j]):
                    area = g.intersection(inc[j]).area
                    if tolerance_m2 < area <= clip_max_m2:
                        g = _polygonal(g.difference(inc[j]))
                        note("clip_overlap", i, labels[j], area)
            inc[i] = g
        # 3. slivers: gaps up to sliver_max_m2 go to the incoming feature with the longest shared edge
        for gap in _gaps(inc, nbr, par):
            if gap.area > sliver_max_m2:
                continue
            edge = gap.boundary
            shared = [(edge.intersection(g.boundary).length if g is not None and not g.is_empty else 0.0, i)
                      for i, g in enumerate(inc)]
            length, best = max(shared) if shared else (0.0, None)
            if best is None or length <= 0:
                continue
            stored = max((edge.intersection(n.boundary).length for _c, n in nbr), default=0.0)
            inc[best] = _polygonal(unary_union([inc[best], gap]))
            out.adjustments.append({"action": "sliver_to_neighbour", "grid": labels[best],
                                    "other": "", "area_m2": round(gap.area, 1), "shared_edge_m": round(length, 1),
                                    "longer_edge_with_stored_grid": stored > length})
    # What remains, at import, with the polygons.
    for gap in _gaps(inc, nbr, par):
        if gap.area > tolerance_m2:
            out.gaps.append({"area_m2": round(gap.area, 1), "geometry": _geojson(frame.to_ll(gap))})
    everyone = [(labels[i], g) for i, g in enumerate(inc) if g is not None and not g.is_empty] + nbr
    tree = shapely.STRtree([g for _l, g in everyone])
    for a, b in zip(*tree.query([g for _l, g in everyone], predicate="intersects")):
        if a >= b or (a >= len(everyone) - len(nbr) and b >= len(everyone) - len(nbr)):
            continue
        inter = _polygonal(everyone[a][1].intersection(everyone[b][1]))
        if inter.area > tolerance_m2:
            out.overlaps.append({"grids": [everyone[a][0], everyone[b][0]], "area_m2": round(inter.area, 1),
                                 "geometry": _geojson(frame.to_ll(inter))})
    if snap_m > 0:  # without snapping the geometries go on exactly as read
        out.geoms = [frame.to_ll(g) if g is not None and not g.is_empty else geoms[i] for i, g in enumerate(inc)]
    return out


def _gaps(inc, nbr, par) -> list:
    """Holes among the incoming and stored grids: inside the parent when there is one, else
    the enclosed holes of their union (open land around a top-level batch is no gap)."""
    pieces = [g for g in inc if g is not None and not g.is_empty] + [n for _c, n in nbr]
    if not pieces:
        return []
    union = unary_union(pieces)
    if par is not None:
        return [p for p in _parts(par.difference(union)) if p.area > 0]
    holes = []
    for poly in _parts(union):
        holes += [Polygon(r) for r in poly.interiors]
    return holes


def _geojson(g) -> dict:
    return json.loads(shapely.to_geojson(g))


def as_multipolygon(g):
    """A polygon as a MultiPolygon; anything else as it is (an invalid or wrong-typed geometry
    must reach the rules unrepaired, so they can name it)."""
    return MultiPolygon([g]) if g.geom_type == "Polygon" else g



