"""Coordinate systems at the edge: everything inside is stored in settings.GEOGRID_SRID.

Accepted input systems: WGS84, CGCS2000 (equal to WGS84 at map scale: centimetres apart),
GCJ-02 (the obfuscated datum of Gaode/Tencent maps) and BD-09 (Baidu). PROJ and PostGIS do
not know GCJ-02/BD-09, so they are converted here with prcoords, whose iterative inverse is
accurate to well under a millimetre.
"""
import math

import prcoords
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import InvalidCoordinates

CRS_CHOICES = ("wgs84", "cgcs2000", "gcj02", "bd09")
CRS_ALIASES = {
    "wgs84": "wgs84", "4326": "wgs84", "epsg:4326": "wgs84",
    "cgcs2000": "cgcs2000", "4490": "cgcs2000", "epsg:4490": "cgcs2000",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "mars": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "baidu": "bd09",
}


def normalise_crs(crs: str | None) -> str:
    """Map a user-given name of a coordinate system to one of CRS_CHOICES, or refuse it."""
    key = (crs or "wgs84").strip().lower() if isinstance(crs, str) or crs is None else None
    if key not in CRS_ALIASES:
        raise InvalidCoordinates(_("Unknown coordinate system %(crs)s; use one of %(choices)s")
                                 % {"crs": crs, "choices": ", ".join(CRS_CHOICES)})
    return CRS_ALIASES[key]


def parse_number(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidCoordinates(_("%(name)s is not a number: %(value)r") % {"name": name, "value": value})
    if not math.isfinite(number):
        raise InvalidCoordinates(_("%(name)s is not finite") % {"name": name})
    return number


def check_in_china(lon: float, lat: float) -> None:
    minx, miny, maxx, maxy = settings.GEOGRID_CHINA_BBOX
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidCoordinates(_("Coordinates must be finite numbers"))
    if not (minx <= lon <= maxx and miny <= lat <= maxy):
        raise InvalidCoordinates(
            _("Point (%(lon)s, %(lat)s) is outside China; check the order (longitude first) and the system")
            % {"lon": lon, "lat": lat})


def to_storage(lon, lat, crs: str | None = "wgs84") -> tuple[float, float]:
    """Validate one input point and return it as (lon, lat) in the storage datum."""
    lon = parse_number(lon, "lon")
    lat = parse_number(lat, "lat")
    crs = normalise_crs(crs)
    check_in_china(lon, lat)
    if crs == "gcj02":
        lat, lon = prcoords.gcj_wgs_bored((lat, lon))
    elif crs == "bd09":
        lat, lon = prcoords.bd_wgs_bored((lat, lon))
    return lon, lat


def from_storage(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    """Convert a stored point for display on a basemap of the given system."""
    crs = normalise_crs(crs)
    if crs == "gcj02":
        lat, lon = prcoords.wgs_gcj((lat, lon), True)
    elif crs == "bd09":
        lat, lon = prcoords.wgs_bd((lat, lon), True)
    return lon, lat


# --- whole geometries and files -------------------------------------------------------------

# Said whenever a file's system is unknown: most Chinese web-map data (Gaode, Tencent, DataV)
# is GCJ-02, and reading it as WGS84 puts everything 300-600 m off without any error.
def crs_missing_message() -> str:
    return _("The file declares no coordinate system and none was given: choose one of %(choices)s "
             "(--crs). Chinese web-map data (Gaode/AMap, Tencent, DataV) is usually GCJ-02; "
             "GPS and surveying data is WGS84 or CGCS2000; Baidu data is BD-09.") % {"choices": ", ".join(CRS_CHOICES)}


def geometry_to_storage(geom, crs: str):
    """A shapely geometry in lon/lat of `crs` converted to the storage datum (vertex by vertex
    for GCJ-02/BD-09, which no projection library knows)."""
    import numpy as np
    import shapely

    crs = normalise_crs(crs)
    if crs in ("wgs84", "cgcs2000") or geom is None:
        return geom
    convert = prcoords.gcj_wgs_bored if crs == "gcj02" else prcoords.bd_wgs_bored

    def fn(coords):
        out = np.empty_like(coords)
        for i, (x, y) in enumerate(coords):
            lat, lon = convert((y, x))
            out[i] = (lon, lat)
        return out
    return shapely.transform(geom, fn)


def datum_shift_m(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """East and north shift (m) of a point of `crs` read as if it were WGS84: how far off it
    would be stored. Hundreds of metres for GCJ-02 in China."""
    x, y = to_storage(lon, lat, crs)
    kx = 111_320.0 * math.cos(math.radians(lat))
    return (lon - x) * kx, (lat - y) * 110_574.0


def best_offset_m(sample, reference, *, reach_m: float = 1000.0) -> dict | None:
    """The shift (east, north, metres) that best lays `sample` points onto `reference` points
    (both lon/lat arrays, e.g. vertices of incoming boundaries and of stored ones): a coarse
    search over +-reach_m in 25 m steps, then 1 m steps around the best, scoring the median
    distance to the nearest reference point. None when there is too little to compare."""
    import numpy as np
    from scipy.spatial import cKDTree

    sample = np.asarray(sample, dtype=float).reshape(-1, 2)
    reference = np.asarray(reference, dtype=float).reshape(-1, 2)
    if len(sample) < 3 or len(reference) < 3:
        return None
    lat0 = float(np.mean(reference[:, 1]))
    k = np.array([111_320.0 * math.cos(math.radians(lat0)), 110_574.0])
    ref = reference * k
    pts = sample * k
    # Only sample points that could meet the reference within reach.
    tree = cKDTree(ref)
    near, _i = tree.query(pts, distance_upper_bound=reach_m * 1.5)
    pts = pts[np.isfinite(near)]
    if len(pts) < 3:
        return None
    if len(pts) > 400:
        pts = pts[np.linspace(0, len(pts) - 1, 400).astype(int)]

    def score(dx, dy):
        d, _j = tree.query(pts + (dx, dy))
        return float(np.median(d))

    def search(cx, cy, reach, step):
        best = (score(cx, cy), cx, cy)
        for dx in np.arange(cx - reach, cx + reach + step / 2, step):
            for dy in np.arange(cy - reach, cy + reach + step / 2, step):
                s = score(dx, dy)
                if s < best[0]:
                    best = (s, float(dx), float(dy))
        return best

    s0 = score(0.0, 0.0)
    s, dx, dy = search(0.0, 0.0, reach_m, 25.0)
    s, dx, dy = search(dx, dy, 25.0, 1.0)
    return {"east_m": round(dx, 1), "north_m": round(dy, 1), "shift_m": round(math.hypot(dx, dy), 1),
            "median_gap_m": round(s, 1), "median_gap_unshifted_m": round(s0, 1), "points": int(len(pts))}


def offset_verdict(offset: dict | None, lon: float, lat: float, crs: str) -> str | None:
    """A sentence on what a best offset means, or None when the data already lines up."""
    if not offset or offset["shift_m"] < 20 or offset["median_gap_m"] > offset["median_gap_unshifted_m"] / 2:
        return None
    text = _("The data lines up with what is stored when moved %(east).0f m east and %(north).0f m north "
             "(%(shift).0f m).") % {"east": offset["east_m"], "north": offset["north_m"], "shift": offset["shift_m"]}
    for other in ("gcj02", "bd09"):
        if other == normalise_crs(crs):
            continue
        # Data of `other` read as `crs` sits off by (shift of other) - (shift of crs).
        ex, ey = datum_shift_m(lon, lat, other)
        cx, cy = datum_shift_m(lon, lat, crs)
        expect_x, expect_y = -(ex - cx), -(ey - cy)
        if math.hypot(offset["east_m"] - expect_x, offset["north_m"] - expect_y) < 60:
            name = {"gcj02": "GCJ-02", "bd09": "BD-09"}[other]
            return text + " " + _("That is the signature of %(name)s data read as %(crs)s: import it again with --crs %(flag)s.") \
                % {"name": name, "crs": normalise_crs(crs).upper(), "flag": other}
    return text + " " + _("A shift of hundreds of metres usually means GCJ-02 data read as WGS84.")
