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


_GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid; WGS84's differs by 0.1 mm in b


def geodesic_area_m2(geom) -> float:
    """Area in m² on the ellipsoid of a lon/lat shapely or GEOS geometry, without the database."""
    if isinstance(geom, GEOSGeometry):
        geom = shapely.from_wkb(bytes(geom.wkb))
    return abs(_GEOD.geometry_area_perimeter(geom)[0])
