"""Coordinate reference systems of OGC API - Features Part 2 (CRS by reference).

CRS84 is longitude/latitude. EPSG:4326 and EPSG:4490 (CGCS2000, the storage system) are
latitude/longitude in their definitions, and OGC API Part 2 requires that axis order for them
(GDAL swaps on reading, guided by `Content-Crs`)."""
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    lat_first: bool


SUPPORTED = {
    CRS84: Crs(CRS84, 4326, False),
    EPSG4326: Crs(EPSG4326, 4326, True),
    EPSG4490: Crs(EPSG4490, 4490, True),
}
STORAGE = SUPPORTED[EPSG4490] if settings.GEOGRID_SRID == 4490 else None
_ALIASES = {"crs84": CRS84, "ogc:crs84": CRS84, "epsg:4326": EPSG4326, "epsg:4490": EPSG4490,
            "http://www.opengis.net/def/crs/ogc/1.3/crs84": CRS84,
            "http://www.opengis.net/def/crs/epsg/0/4326": EPSG4326,
            "http://www.opengis.net/def/crs/epsg/0/4490": EPSG4490}


def parse_crs(value: str | None, *, param: str = "crs") -> Crs:
    """The CRS named by a URI (or its short form EPSG:n / CRS84, with or without [ ]); CRS84 when absent."""
    if value is None or value == "":
        return SUPPORTED[CRS84]
    key = value.strip().strip("[]").lower()
    uri = _ALIASES.get(key)
    if uri is None:
        raise RuleViolation(f"{param}_unsupported", _("Unsupported %(param)s %(value)s; use one of %(choices)s")
                            % {"param": param, "value": value, "choices": ", ".join(SUPPORTED)})
    return SUPPORTED[uri]


def parse_bbox(value: str, crs: Crs) -> tuple[float, float, float, float]:
    """bbox as lon/lat (minx, miny, maxx, maxy) from the client's order in `crs`."""
    try:
        nums = [float(x) for x in value.split(",")]
    except ValueError:
        nums = []
    if len(nums) != 4 or any(n != n or n in (float("inf"), float("-inf")) for n in nums):
        raise RuleViolation("bbox_invalid", _("bbox needs four numbers separated by commas"))
    if crs.lat_first:
        nums = [nums[1], nums[0], nums[3], nums[2]]
    minx, miny, maxx, maxy = nums
    if minx > maxx or miny > maxy or not (-180 <= minx <= 180 and -180 <= maxx <= 180
                                          and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise RuleViolation("bbox_invalid", _("bbox corners are out of order or out of range"))
    return minx, miny, maxx, maxy
