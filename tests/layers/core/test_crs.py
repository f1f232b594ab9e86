import math

import pytest

from layers.core.crs import from_storage, normalise_crs, to_storage
from layers.core.errors import InvalidCoordinates


def metres(a, b):
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
@pytest.mark.parametrize("lon,lat", [(121.445, 31.223), (116.397, 39.909), (113.264, 23.129), (87.617, 43.793)])
def test_obfuscated_datums_round_trip_well_under_a_metre(crs, lon, lat):
    shifted = from_storage(lon, lat, crs)
    assert metres(shifted, (lon, lat)) > 100  # the shift is real (hundreds of metres)
    back = to_storage(*shifted, crs)
    assert metres(back, (lon, lat)) < 0.01


def test_wgs84_and_cgcs2000_pass_through():
    assert to_storage(121.4, 31.2, "wgs84") == (121.4, 31.2)
    assert to_storage("121.4", "31.2", "EPSG:4490") == (121.4, 31.2)


@pytest.mark.parametrize("lon,lat,crs", [
    ("abc", 31.2, "wgs84"), (121.4, "nan", "wgs84"), (121.4, float("inf"), "wgs84"),
    (31.2, 121.4, "wgs84"),  # swapped order lands outside China
    (0, 0, "wgs84"), (121.4, 31.2, "utm51"), (None, 31.2, "wgs84"),
])
def test_bad_points_are_refused_with_a_reason(lon, lat, crs):
    with pytest.raises(InvalidCoordinates) as err:
        to_storage(lon, lat, crs)
    assert err.value.rule == "coordinates" and err.value.messages[0]


def test_crs_names_are_normalised():
    assert normalise_crs("GCJ-02") == "gcj02" and normalise_crs(None) == "wgs84" and normalise_crs("4490") == "cgcs2000"
