"""Turning outside geometry into a stored grid boundary, and the checks that need no database."""
import json
import math

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.utils.translation import gettext as _
from pyproj import Geod

from layers.core.errors import RuleViolation

SRID = settings.GEOGRID_SRID


def to_multipolygon(value, *, label: str = "") -> MultiPolygon:
    """Accept GEOS, shapely, GeoJSON (dict or text) or WKT; return a valid MultiPolygon in the
    storage SRID, or raise a RuleViolation naming what is wrong. Input without an SRID is taken
    as longitude/latitude in the storage datum (WGS84 and CGCS2000 agree at map scale)."""
    try:
        if isinstance(value, GEOSGeometry):
            geom = value.clone()
        elif isinstance(value, shapely.Geometry):
            geom = GEOSGeometry(memoryview(value.wkb))
        elif isinstance(value, dict):
            geom = GEOSGeometry(json.dumps(value.get("geometry", value)))
        elif isinstance(value, (str, bytes, memoryview)):
            geom = GEOSGeometry(value)
        else:
            raise TypeError(type(value).__name__)
    except Exception as exc:  # GEOS/GDAL raise several types for unreadable input
        raise RuleViolation("geometry_unreadable", _("%(label)sGeometry cannot be read: %(err)s")
                            % {"label": _prefix(label), "err": exc}, grids=[label] if label else [])
    if not geom.srid:
        geom.srid = SRID
    elif geom.srid != SRID:
        geom.transform(SRID)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=SRID)
    check_boundary(geom, label=label)
    return geom


def _prefix(label: str) -> str:
    return f"{label}: " if label else ""


def check_boundary(geom: GEOSGeometry, *, label: str = "") -> None:
    """Rules that need no database: polygonal, non-empty, finite, valid, inside China."""
    grids = [label] if label else []
    if geom.geom_type not in ("MultiPolygon", "Polygon"):
        raise RuleViolation("geometry_type", _("%(label)sA grid boundary must be a polygon, not %(type)s")
                            % {"label": _prefix(label), "type": geom.geom_type}, grids=grids)
    if geom.empty:
        raise RuleViolation("geometry_empty", _("%(label)sThe boundary is empty")
                            % {"label": _prefix(label)}, grids=grids)
    coords = [c for poly in geom for ring in poly for c in ring]
    if not all(math.isfinite(x) and math.isfinite(y) for x, y in coords):
        raise RuleViolation("geometry_not_finite", _("%(label)sThe boundary has coordinates that are not finite")
                            % {"label": _prefix(label)}, grids=grids)
    minx, miny, maxx, maxy = settings.GEOGRID_CHINA_BBOX
    ex = geom.extent
    if ex[0] < minx or ex[1] < miny or ex[2] > maxx or ex[3] > maxy:
        raise RuleViolation("geometry_outside_china",
                            _("%(label)sThe boundary lies (partly) outside China: extent %(extent)s")
                            % {"label": _prefix(label), "extent": tuple(round(v, 6) for v in ex)}, grids=grids)
    if not geom.valid:
        raise RuleViolation("geometry_invalid", _("%(label)sThe boundary is not a valid polygon: %(reason)s")
                            % {"label": _prefix(label), "reason": geom.valid_reason}, grids=grids)
    if geom.area == 0:
        raise RuleViolation("geometry_empty", _("%(label)sThe boundary has no area")
                            % {"label": _prefix(label)}, grids=grids)


def order_west_east_north_south(geoms: list) -> list[int]:
    """Indices of `geoms` in code order: rows from north to south, west to east in a row.

    A new row starts when a centroid lies more than half the median grid height below the
    first centroid of the current row, so slightly staggered neighbours share a row."""
    if not geoms:
        return []
    cents = [(g.centroid.x, g.centroid.y) for g in geoms]
    heights = sorted((g.extent[3] - g.extent[1]) for g in geoms)
    band = max(heights[len(heights) // 2] / 2, 1e-9)
    by_north = sorted(range(len(geoms)), key=lambda i: -cents[i][1])
    rows, row, top = [], [], None
    for i in by_north:
        if top is None or top - cents[i][1] <= band:
            row.append(i)
            top = cents[i][1] if top is None else top
        else:
            rows.append(row)
            row, top = [i], cents[i][1]
    rows.append(row)
    return [i for r in rows for i in sorted(r, key=lambda i: cents[i][0])]


# --- the geometry toolkit: one ellipsoid, one overlap rule, one gap rule -----------------------
# Used by the grid services and reports and by the plans. Rules:
# - areas and lengths are geodesic on CGCS2000's ellipsoid (GRS80; WGS84's differs by 0.1 mm in b);
# - overlap: the interiors of two grids share an area (touching is fine) that is significant;
# - gap: a part of the parent that no base child covers, if significant;
# - significant: more than the tolerance (m²) and on average at least NOISE_WIDTH_M wide: a
#   thinner sliver is float noise from noding two edges that are the same line (300 m long and
#   0.07 mm wide: 0.02 m²), not a planner's mistake.

GEOD = Geod(ellps="GRS80")
NOISE_WIDTH_M = 0.01


def shp(geom) -> shapely.Geometry:
    """A shapely geometry of a GEOS one (shapely passes through)."""
    if isinstance(geom, shapely.Geometry):
        return geom
    return shapely.from_wkb(bytes(geom.wkb))


def geos(shape) -> MultiPolygon:
    """A MultiPolygon in the storage SRID of a polygonal shapely geometry."""
    # memoryview: GEOSGeometry takes plain bytes for text (WKT/HEX) and fails on WKB.
    geom = GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=SRID)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=SRID)
    return geom


def polygonal(shape) -> shapely.Geometry:
    """Only the polygons of a shape (intersections and differences can leave lines and points)."""
    if shape.is_empty or shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    polys = [g for g in shapely.get_parts(shape) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def metres_to_degrees(metres: float, lat: float) -> float:
    """Degrees that are at least `metres` in both directions at latitude `lat` (longitude degrees
    shrink with latitude, so the longitude scale is taken)."""
    return metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.1))


def geodesic_area_m2(geom) -> float:
    """Area in m² on the ellipsoid of a lon/lat shapely or GEOS geometry, without the database."""
    return abs(GEOD.geometry_area_perimeter(shp(geom))[0])


def geodesic_area_perimeter(geom) -> tuple[float, float]:
    """(area m², perimeter m) on the ellipsoid."""
    area, perimeter = GEOD.geometry_area_perimeter(shp(geom))
    return abs(area), perimeter


def geodesic_length_m(geom) -> float:
    return GEOD.geometry_length(shp(geom))


def significant(shape, tol_m2: float) -> bool:
    """More than `tol_m2` and not a sliver of noding noise (see the rules above)."""
    if shape.is_empty:
        return False
    area, perimeter = geodesic_area_perimeter(shape)
    return area > tol_m2 and (perimeter <= 0 or 2 * area / perimeter >= NOISE_WIDTH_M)


def overlaps(shapes: list, tol_m2: float, *, others: list | None = None) -> list[tuple[int, int, shapely.Geometry, float]]:
    """Pairs that overlap under the rule: (i, j, shared area, its m²). Without `others`, pairs
    within `shapes` (i < j); with it, i in `shapes` against j in `others`."""
    shapes = [shp(s) for s in shapes]
    against = shapes if others is None else [shp(s) for s in others]
    if not shapes or not against:
        return []
    tree = shapely.STRtree(against)
    out = []
    for i, j in zip(*tree.query(shapes, predicate="intersects")):
        i, j = int(i), int(j)
        if others is None and i >= j:
            continue
        if not shapes[i].relate_pattern(against[j], "2********"):
            continue
        shared = polygonal(shapes[i].intersection(against[j]))
        if significant(shared, tol_m2):
            out.append((i, j, shared, geodesic_area_m2(shared)))
    return sorted(out, key=lambda t: (t[0], t[1]))


def outside(shape, parent, tol_m2: float) -> tuple[shapely.Geometry, float] | None:
    """The part of `shape` outside `parent` and its m², if significant; None otherwise."""
    out = polygonal(shp(shape).difference(shp(parent)))
    return (out, geodesic_area_m2(out)) if significant(out, tol_m2) else None


def gaps(parent, shapes: list, tol_m2: float) -> list[tuple[shapely.Geometry, float]]:
    """The significant parts of `parent` that none of `shapes` covers, with their m², largest first."""
    covered = shapely.union_all([shp(s) for s in shapes]) if shapes else shapely.Polygon()
    left = polygonal(shp(parent).difference(covered))
    out = [(g, geodesic_area_m2(g)) for g in shapely.get_parts(left) if significant(g, tol_m2)]
    return sorted(out, key=lambda t: -t[1])


def shares_edge(a, b, tol: float) -> bool:
    """`a` and `b` share an edge (a line, not just a point), allowing float noise of `tol` degrees."""
    a, b = shp(a), shp(b)
    if a.distance(b) > tol:
        return False
    return a.boundary.intersection(b.buffer(tol)).length > 10 * tol
