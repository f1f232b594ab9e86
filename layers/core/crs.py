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
