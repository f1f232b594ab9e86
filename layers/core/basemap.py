"""The basemap under every map, from `settings.GEOGRID_BASEMAP`.

- "none" (default): no tiles at all, the grids on a plain background (fully offline).
- "tianditu": 天地图 vector tiles + Chinese labels, needs `GEOGRID_TIANDITU_KEY`. CGCS2000,
  so overlays need no shift.
- "osm": OpenStreetMap tiles (needs internet; not for intranet deployments).
- "gaode" / "amap": 高德 tiles, GCJ-02: overlays are shifted to GCJ-02 to line up.
- anything containing "{z}": a local tile server URL template. Its datum is
  `settings.GEOGRID_BASEMAP_CRS` ("wgs84" unless set; "gcj02" for a mirror of Gaode/Tencent).

Overlays are stored in CGCS2000 (= WGS84 at map scale); drawn on GCJ-02 tiles unshifted
they sit 300-600 m off, hence `to_basemap_datum`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from layers.core.crs import from_storage, normalise_crs


@dataclass(frozen=True)
class TileLayer:
    url: str
    attribution: str
    name: str
    overlay: bool = False
    subdomains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Basemap:
    name: str
    crs: str = "wgs84"  # datum of the tiles: overlays are converted to it
    tiles: tuple[TileLayer, ...] = field(default_factory=tuple)
    background: str = "#f4f3ef"

    @property
    def shifts(self) -> bool:
        return self.crs in ("gcj02", "bd09")


def basemap_from_settings() -> Basemap:
    """The configured basemap (see the module docstring for the accepted values)."""
    choice = (getattr(settings, "GEOGRID_BASEMAP", "none") or "none").strip()
    key = getattr(settings, "GEOGRID_TIANDITU_KEY", "")
    low = choice.lower()
    if low == "none":
        return Basemap(name="none")
    if low == "tianditu":
        sub = tuple(str(i) for i in range(8))
        return Basemap(name="tianditu", crs="cgcs2000", tiles=(
            TileLayer(f"https://t{{s}}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                      f"&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                      f"&TILECOL={{x}}&tk={key}", "天地图", str(_("Tianditu")), subdomains=sub),
            TileLayer(f"https://t{{s}}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                      f"&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                      f"&TILECOL={{x}}&tk={key}", "天地图", str(_("Tianditu labels")), overlay=True,
                      subdomains=sub),
        ))
    if low == "osm":
        return Basemap(name="osm", tiles=(TileLayer(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "&copy; OpenStreetMap contributors",
            "OpenStreetMap"),))
    if low in ("gaode", "amap"):
        return Basemap(name="gaode", crs="gcj02", tiles=(TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            "高德地图", str(_("Gaode")), subdomains=("1", "2", "3", "4")),))
    if "{z}" in choice:
        crs = normalise_crs(getattr(settings, "GEOGRID_BASEMAP_CRS", "wgs84"))
        return Basemap(name="local", crs=crs, tiles=(TileLayer(choice, str(_("local tiles")),
                                                               str(_("local tiles"))),))
    raise ValueError(f"GEOGRID_BASEMAP={choice!r}: use none, tianditu, osm, gaode or a tile URL with {{z}}")


def _shift_coords(coords: np.ndarray, crs: str) -> np.ndarray:
    out = np.empty_like(coords)
    for i, (lon, lat) in enumerate(coords):
        out[i] = from_storage(float(lon), float(lat), crs)
    return out


def to_basemap_datum(gdf: gpd.GeoDataFrame, basemap: Basemap | None) -> gpd.GeoDataFrame:
    """The frame with its geometry converted to the basemap's datum (a copy; unchanged if none)."""
    if basemap is None or not basemap.shifts or gdf.empty:
        return gdf
    out = gdf.copy()
    out["geometry"] = shapely.transform(out.geometry.values, lambda c: _shift_coords(c, basemap.crs))
    return out


def shift_point(lon: float, lat: float, basemap: Basemap | None) -> tuple[float, float]:
    if basemap is None or not basemap.shifts:
        return lon, lat
    return from_storage(lon, lat, basemap.crs)
