"""Map builders: pure functions of GeoDataFrames (WGS84/CGCS2000 in) -> folium.Map.

No queries in here (STYLE rule 8): views fetch with selectors and hand frames over. Every
map is built with `maps.assets.offline_map`, plugins go through `maps.assets.offline`, and
legends are `maps.legend.Legend`, so the rendered HTML refers only to /static/vendor/.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from django.utils.html import escape
from django.utils.translation import gettext as _
from folium.map import FitBounds
from folium.plugins import HeatMap

from .assets import offline, offline_map
from layers.core.basemap import Basemap, shift_point, to_basemap_datum
from .geojson import DataGeoJson, feature_collection_text
from .legend import Legend, LegendSwitch
from .vectortiles import VectorTiles

# What a grid tile (layers/ogc/sql/grid_tile.sql) carries besides code and name.
TILE_FIGURES = ("addresses", "households", "staff", "subjects", "households_per_staff", "open_incidents",
                "overdue_incidents")

# ColorBrewer sequential palettes, light to dark (5 classes).
PALETTES = {
    "YlOrRd": ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    "Blues": ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    "Greens": ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
    "Purples": ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
}
NO_DATA = "#d9d9d9"
# Above this many grids, Fisher-Jenks breaks come from a quantile sample of this size.
SAMPLE = 300


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    palette: str


def coverage_metrics() -> dict[str, Metric]:
    """The coverage metrics a leader can map, in menu order (labels translated now)."""
    ms = [
        Metric("households_band", _("Households against the target band"), ""),
        Metric("households", _("Households"), "Blues"),
        Metric("households_per_staff", _("Households per staff member"), "Purples"),
        Metric("visited_within_cadence", _("Visits within cadence (%)"), "Greens"),
        Metric("open_incidents", _("Open incidents"), "YlOrRd"),
        Metric("overdue_incidents", _("Overdue incidents"), "YlOrRd"),
        Metric("average_rating", _("Average rating"), "Greens"),
        Metric("subjects", _("Subjects"), "Blues"),
    ]
    return {m.key: m for m in ms}


BAND_COLOURS = {"below": "#9ecae1", "within": "#a1d99b", "above": "#fc9272", "none": NO_DATA}

# Gi* classes: colour and legend order (hot first).
HOTSPOT_CLASSES = ["hot99", "hot95", "hot90", "none", "cold90", "cold95", "cold99"]
HOTSPOT_COLOURS = {"hot99": "#b2182b", "hot95": "#ef8a62", "hot90": "#fddbc7", "none": "#f7f7f7",
                   "cold90": "#d1e5f0", "cold95": "#67a9cf", "cold99": "#2166ac"}

SPECIAL_COLOURS = {"business_district": "#e6550d", "commercial_street": "#d6616b",
                   "industrial_park": "#636363", "religious_site": "#756bb1",
                   "business_building": "#3182bd", "market": "#31a354", "other": "#969696"}

# One colour per incident status, in the order of a case's life (the legend follows it):
# waiting ones warm, handled ones green, finished ones grey.
STATUS_COLOURS = {"reported": "#e41a1c", "reopened": "#a50f15", "accepted": "#ff7f00", "dispatched": "#f781bf",
                  "in_progress": "#ffbf00", "shelved": "#8c564b", "resolved": "#4daf4a", "verified": "#1b7837",
                  "closed": "#999999", "rejected": "#d0d0d0"}
# Incident density on the hotspot map: purples, so it reads apart from the red/blue Gi* classes.
HEAT_GRADIENT = {0.3: "#dadaeb", 0.6: "#9e9ac8", 0.8: "#756bb1", 1.0: "#3f007d"}


def hotspot_label(cls: str) -> str:
    if cls.startswith("hot"):
        return _("Hot spot, %(level)s%% confidence") % {"level": cls[3:]}
    if cls.startswith("cold"):
        return _("Cold spot, %(level)s%% confidence") % {"level": cls[4:]}
    return _("Not significant")


def _new_map(gdf: gpd.GeoDataFrame | None, m: folium.Map | None, basemap: Basemap | None,
             bounds: tuple[float, float, float, float] | None = None) -> folium.Map:
    if m is not None:
        return m
    if bounds is not None or (gdf is not None and not gdf.empty):
        minx, miny, maxx, maxy = bounds if bounds is not None else gdf.total_bounds
        centre = [(miny + maxy) / 2, (minx + maxx) / 2]
    else:
        centre, minx = [31.23, 121.47], None
    m = offline_map(location=centre, zoom_start=14)
    if basemap is not None:
        for t in basemap.tiles:
            kw = {"subdomains": list(t.subdomains)} if t.subdomains else {}
            folium.TileLayer(tiles=t.url, attr=t.attribution, name=t.name, overlay=t.overlay,
                             control=True, max_zoom=19, **kw).add_to(m)
    if bounds is not None or (gdf is not None and not gdf.empty):
        # No zoom animation on the first fit: a screenshot or PDF taken while Leaflet still
        # scales the vectors with a CSS transform shows strokes and markers several times too big.
        fit = FitBounds([[miny, minx], [maxy, maxx]], padding=(10, 10))
        fit.options["animate"] = False
        m.add_child(fit)
    return m


def _clean_value(v):
    """A frame cell as a JSON value: NaN and missing become None, numpy numbers plain ones."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if math.isnan(v) else round(float(v), 2)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


def thousands(v) -> str | None:
    """12345.6 -> "12,346"; missing stays missing (the tooltip shows a dash)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return f"{round(float(v)):,}"


def classify(values: pd.Series, *, k: int = 5, scheme: str = "FisherJenks") -> tuple[np.ndarray, list[float]]:
    """Class index per value (-1 for missing) and the upper bounds, from mapclassify."""
    vals = pd.to_numeric(values, errors="coerce")
    ok = vals.notna().to_numpy()
    idx = np.full(len(vals), -1, dtype=int)
    if not ok.any():
        return idx, []
    data = vals[ok].to_numpy(dtype=float)
    distinct = np.unique(data)
    if len(distinct) <= k:
        # Few distinct values: one class per value reads better than forced breaks.
        bins = list(distinct)
        idx[ok] = np.searchsorted(distinct, data)
        return idx, bins
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": the pure-Python path is fine here
        if scheme == "FisherJenks" and len(data) > SAMPLE:
            # Exact Fisher-Jenks is O(k·n²) in pure Python (1.3 s at 1,000 grids, 9 s at 3,000).
            # Breaks from an evenly spaced quantile sample are deterministic and close to exact.
            sample = np.quantile(data, np.linspace(0, 1, SAMPLE))
            bins = list(mapclassify.FisherJenks(sample, k=k).bins)
            bins[-1] = float(data.max())
            classifier = mapclassify.UserDefined(data, bins)
        else:
            classifier = getattr(mapclassify, scheme)(data, k=k)
    idx[ok] = classifier.yb
    return idx, [float(b) for b in classifier.bins]


def _break_labels(bins: list[float], lowest: float | None) -> list[str]:
    labels, lo = [], lowest
    for b in bins:
        labels.append(_fmt(b) if lo is None or lo == b else f"{_fmt(lo)} – {_fmt(b)}")
        lo = b
    return labels


def coverage_tooltip_fields() -> list[tuple[str, str]]:
    return [("name", _("Grid")), ("code", _("Code")), ("households", _("Households")),
            ("subjects", _("Subjects")), ("staff", _("Staff")),
            ("households_per_staff", _("Households per staff member")),
            ("visited_within_cadence", _("Visits within cadence (%)")),
            ("open_incidents", _("Open incidents")), ("overdue_incidents", _("Overdue incidents")),
            ("average_rating", _("Average rating")), ("flags", _("Flags"))]


def band_classes(households, band: tuple[int, int] | None) -> np.ndarray:
    """below / within / above the household band per grid ("none" without a band or figure)."""
    hh = pd.to_numeric(pd.Series(households if households is not None else [], dtype="object"), errors="coerce")
    hh = hh.to_numpy(dtype=float)
    if band is None:
        return np.full(len(hh), "none", dtype=object)
    out = np.where(hh < band[0], "below", np.where(hh > band[1], "above", "within")).astype(object)
    out[np.isnan(hh)] = "none"
    return out


def build_coverage_map(gdf: gpd.GeoDataFrame, *, metric: str, m: folium.Map | None = None,
                       level: int | None = None, level_names: dict[int, str] | None = None,
                       bands: dict[int, tuple[int, int]] | None = None, outline: gpd.GeoDataFrame | None = None,
                       basemap: Basemap | None = None, k: int = 5, scheme: str = "FisherJenks",
                       tiles: str | None = None, outline_tiles: str | None = None,
                       bounds: tuple[float, float, float, float] | None = None) -> folium.Map:
    """Choropleth of one coverage metric per grid, one switchable layer per level in `gdf`.

    `gdf` has a `level` column and the coverage figures (see coverage_tooltip_fields); each
    level is classified on its own (mapclassify) with its own legend; `level` is shown first.
    With `tiles` (a URL template with {z}/{x}/{y} and {level}) the polygons come from vector
    tiles (a "coverage" MVT layer keyed by grid code) and `gdf` needs no geometry: the page
    carries each grid's colour and the figures the tiles lack; `bounds` (WGS84) frames the map,
    `outline_tiles` draws the boundaries above. Tiles are in WGS84: only for a WGS84 basemap."""
    metrics = coverage_metrics()
    if metric not in metrics:
        raise ValueError(f"unknown metric {metric!r}")
    if tiles and basemap is not None and basemap.shifts:
        raise ValueError("vector tiles are in WGS84; this basemap needs shifted overlays")
    spec = metrics[metric]
    if not tiles:
        gdf = to_basemap_datum(gdf, basemap)
    m = _new_map(None if tiles else gdf, m, basemap, bounds=bounds)
    levels = sorted(int(x) for x in gdf["level"].dropna().unique()) if "level" in gdf else []
    shown = level if level in levels else (levels[-1] if levels else None)
    names = level_names or {}
    fields = [f for f in coverage_tooltip_fields() if f[0] in gdf.columns]
    bands = bands or {}
    for lv in levels:
        part = gdf[gdf["level"] == lv].copy()
        layer_name = str(names.get(lv, _("level %(n)s") % {"n": lv}))
        if metric == "households_band":
            band = bands.get(lv)
            part["_colour"] = pd.Series(band_classes(part.get("households"), band), index=part.index).map(BAND_COLOURS)
            items = [(BAND_COLOURS["below"], _("below the band") + (f" (< {band[0]})" if band else "")),
                     (BAND_COLOURS["within"], _("within the band") + (f" ({band[0]}–{band[1]})" if band else "")),
                     (BAND_COLOURS["above"], _("above the band") + (f" (> {band[1]})" if band else "")),
                     (NO_DATA, _("no data"))]
        else:
            values = part[metric] if metric in part else pd.Series([np.nan] * len(part), index=part.index)
            idx, bins = classify(values, k=k, scheme=scheme)
            palette = PALETTES[spec.palette]
            # Spread the palette over the classes actually used.
            pos = np.linspace(0, len(palette) - 1, max(len(bins), 1)).round().astype(int)
            colours = [palette[p] for p in pos]
            part["_colour"] = [colours[i] if i >= 0 else NO_DATA for i in idx]
            vals = pd.to_numeric(values, errors="coerce")
            items = list(zip(colours, _break_labels(bins, float(vals.min()) if vals.notna().any() else None)))
            if (idx < 0).any() or not bins:
                items.append((NO_DATA, _("no data")))
        group = folium.FeatureGroup(name=layer_name, overlay=len(levels) == 1, show=lv == shown)
        group.add_to(m)
        part["_c"] = part.pop("_colour")
        style = {"color": "#555", "weight": 1, "fillOpacity": 0.75}
        if tiles:
            # The tile has code, name and the plain counts; the page adds the colour and the rest.
            own = [k for k, _l in fields if k not in TILE_FIGURES]
            data = {str(r["code"]): {k: _clean_value(r.get(k)) for k in ["_c", *own] if _clean_value(r.get(k)) is not None}
                    for r in part.to_dict("records")}
            VectorTiles(tiles.format(level=lv), layer="coverage", name=layer_name, data=data, fields=fields,
                        control=False, base_style=style).add_to(group)
        else:
            text = feature_collection_text(part, ["id", "_c", *[k for k, _l in fields]])
            DataGeoJson(text, name=layer_name, fields=fields, control=False, base_style=style).add_to(group)
        m.add_child(Legend(f"{spec.label} · {layer_name}", items, group=layer_name if len(levels) > 1 else "",
                           hidden=lv != shown))
    if outline_tiles:
        # Not interactive: its tile canvases lie over the choropleth's and would take the mouse.
        VectorTiles(outline_tiles, layer="coverage", name=_("Boundaries above"),
                    base_style={"fill": False, "color": "#222", "weight": 2.5}).add_to(m)
    elif outline is not None and not outline.empty:
        outline = to_basemap_datum(outline, basemap)
        DataGeoJson(feature_collection_text(outline, ["name", "code"]), name=_("Boundaries above"),
                    fields=[("name", _("Grid")), ("code", _("Code"))],
                    base_style={"fill": False, "color": "#222", "weight": 2.5},
                    hover_style={"weight": 4}).add_to(m)
    m.add_child(LegendSwitch())
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def build_hotspot_map(gdf: gpd.GeoDataFrame, *, incidents: gpd.GeoDataFrame | None = None,
                      m: folium.Map | None = None, basemap: Basemap | None = None,
                      title: str | None = None) -> folium.Map:
    """Incidents as a heatmap plus the per-grid Gi* class (columns count, gi_z, p, class)."""
    gdf = to_basemap_datum(gdf, basemap)
    m = _new_map(gdf, m, basemap)
    if incidents is not None and not incidents.empty:
        pts = []
        for g in incidents.geometry.values:
            if g is not None and not g.is_empty:
                lon, lat = shift_point(g.x, g.y, basemap)
                pts.append([round(lat, 6), round(lon, 6)])
        if pts:
            offline(HeatMap(pts, name=_("Incident heatmap"), radius=18, blur=14, min_opacity=0.2,
                            gradient=HEAT_GRADIENT)).add_to(m)
    fields = [("name", _("Grid")), ("code", _("Code")), ("count", _("Incidents")), ("gi_z", _("Gi* z-score")),
              ("p", _("p-value")), ("class_label", _("Spot class"))]
    part = gdf.copy()
    part["class"] = part["class"].fillna("none") if "class" in part else "none"
    part["class_label"] = part["class"].map(hotspot_label)
    part["_colour"] = part["class"].map(HOTSPOT_COLOURS)
    part["_c"] = part.pop("_colour")
    DataGeoJson(feature_collection_text(part, ["id", "class", "_c", *[k for k, _l in fields]]),
                name=_("Gi* hot and cold spots"), fields=fields,
                base_style={"color": "#666", "weight": 1, "fillOpacity": 0.55}).add_to(m)
    items = [(HOTSPOT_COLOURS[c], hotspot_label(c)) for c in HOTSPOT_CLASSES]
    if incidents is not None and not incidents.empty:
        items.append((HEAT_GRADIENT[0.8], _("heatmap: incident density")))
    m.add_child(Legend(title or _("Getis-Ord Gi* hot spots"), items))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _kind_label(kind: str) -> str:
    return {"business_district": _("business district"), "commercial_street": _("commercial street"),
            "industrial_park": _("industrial park"), "religious_site": _("religious site"),
            "business_building": _("business building"), "market": _("market"),
            "other": _("other special grid")}.get(kind, kind)


def build_special_map(gdf: gpd.GeoDataFrame, *, base: gpd.GeoDataFrame | None = None,
                      m: folium.Map | None = None, basemap: Basemap | None = None) -> folium.Map:
    """Special grids, one switchable layer per kind with its own colour, over the base grids."""
    gdf = to_basemap_datum(gdf, basemap)
    frame = gdf if base is None or base.empty else base
    m = _new_map(to_basemap_datum(frame, basemap), m, basemap)
    if base is not None and not base.empty:
        base = to_basemap_datum(base, basemap)
        DataGeoJson(feature_collection_text(base, ["name", "code"]), name=_("Base grids"),
                    fields=[("name", _("Grid")), ("code", _("Code"))],
                    base_style={"fillColor": "#ffffff", "fillOpacity": 0.2, "color": "#888", "weight": 1},
                    hover_style={"weight": 2, "color": "#333"}).add_to(m)
    fields = [("name", _("Special grid")), ("kind_label", _("Kind")), ("code", _("Code")),
              ("addresses", _("Addresses")), ("households", _("Households")), ("subjects", _("Subjects")),
              ("open_incidents", _("Open incidents")), ("incidents", _("Incidents")),
              ("area_text", _("Area (m²)"))]
    items = []
    kinds = sorted(gdf["kind"].dropna().unique()) if not gdf.empty else []
    if "area_m2" in gdf and kinds:
        # Largest kinds first, so a small religious site is drawn above the district around it.
        largest = pd.to_numeric(gdf["area_m2"], errors="coerce").groupby(gdf["kind"]).max()
        kinds.sort(key=lambda k: -(largest.get(k) if pd.notna(largest.get(k)) else 0))
    for kind in kinds:
        part = gdf[gdf["kind"] == kind].copy()
        if "area_m2" in part:
            part["area_text"] = part["area_m2"].map(thousands)
        colour = SPECIAL_COLOURS.get(kind, SPECIAL_COLOURS["other"])
        part["kind_label"] = _kind_label(kind)
        label = _kind_label(kind)
        DataGeoJson(feature_collection_text(part, ["id", "kind", "area_m2", *[k for k, _l in fields]]), name=label,
                    fields=fields, hover_style={"weight": 4},
                    base_style={"fillColor": colour, "color": colour, "weight": 2.5, "fillOpacity": 0.45,
                                "dashArray": "6 3"}).add_to(m)
        items.append((colour, label))
    m.add_child(Legend(_("Special grids"), items or [(NO_DATA, _("no special grids"))]))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _status_colour(status: str) -> str:
    return STATUS_COLOURS.get(str(status).lower(), "#377eb8")


def build_grid_head_map(grid: gpd.GeoDataFrame, *, children: gpd.GeoDataFrame | None = None,
                        incidents: gpd.GeoDataFrame | None = None, m: folium.Map | None = None,
                        basemap: Basemap | None = None, status_labels: dict[str, str] | None = None,
                        incident_url: str = "/incidents/{id}/", children_tiles: str | None = None) -> folium.Map:
    """The grid head's polygon, its children, and its incidents coloured by status.

    `incidents` has columns id, status, overdue (bool), title/incident_class, reported_at;
    overdue ones get a thick black ring; a popup links to `incident_url`. With `children_tiles`
    (a URL template of a "coverage" MVT layer) the children come from vector tiles instead."""
    if children_tiles and basemap is not None and basemap.shifts:
        raise ValueError("vector tiles are in WGS84; this basemap needs shifted overlays")
    grid = to_basemap_datum(grid, basemap)
    m = _new_map(grid, m, basemap)
    status_labels = status_labels or {}
    if children_tiles:
        VectorTiles(children_tiles, layer="coverage", name=_("Child grids"),
                    fields=[("name", _("Grid")), ("code", _("Code")), ("households", _("Households")),
                            ("open_incidents", _("Open incidents"))],
                    base_style={"fillColor": "#9ecae1", "fillOpacity": 0.15, "color": "#3182bd",
                                "weight": 1}).add_to(m)
    elif children is not None and not children.empty:
        children = to_basemap_datum(children, basemap)
        ch = children.copy()
        fields = [("name", _("Grid")), ("code", _("Code")), ("households", _("Households")),
                  ("open_incidents", _("Open incidents"))]
        DataGeoJson(feature_collection_text(ch, ["id", *[k for k, _l in fields]]), name=_("Child grids"),
                    fields=fields, base_style={"fillColor": "#9ecae1", "fillOpacity": 0.15, "color": "#3182bd",
                                               "weight": 1}).add_to(m)
    DataGeoJson(feature_collection_text(grid, ["id", "name", "code"]), name=_("My grid"),
                fields=[("name", _("Grid")), ("code", _("Code"))],
                base_style={"fill": False, "color": "#08306b", "weight": 4}, hover_style={"weight": 5}).add_to(m)
    items = []
    if incidents is not None and not incidents.empty:
        layer = folium.FeatureGroup(name=_("Incidents"))
        seen = {}
        for r in incidents.to_dict("records"):
            pt = r["geometry"]
            if pt is None or pt.is_empty:
                continue
            lon, lat = shift_point(pt.x, pt.y, basemap)
            status = str(r.get("status", ""))
            colour = _status_colour(status)
            label = status_labels.get(status, status)
            seen[(status, label)] = colour
            overdue = bool(r.get("overdue"))
            what = r.get("title") or r.get("incident_class_label") or r.get("incident_class") or ""
            url = incident_url.format(id=r.get("id"))
            popup = (f'<b>{escape(what)}</b><br>{escape(label)}'
                     + (f' · <b style="color:#b00020">{escape(_("overdue"))}</b>' if overdue else "")
                     + (f'<br>{escape(_fmt(r.get("reported_at")))}' if r.get("reported_at") is not None else "")
                     + f'<br><a href="{escape(url)}" class="incident-link">{escape(_("Open"))}</a>')
            folium.CircleMarker(
                location=[lat, lon], radius=13 if overdue else 11,  # touch-sized, about 24 px across
                color="#000" if overdue else colour,
                weight=3 if overdue else 1, fill=True, fill_color=colour, fill_opacity=0.9,
                tooltip=escape(f"{what} · {label}" + (f" · {_('overdue')}" if overdue else "")),
                popup=folium.Popup(popup, max_width=260),
            ).add_to(layer)
        layer.add_to(m)
        order = list(STATUS_COLOURS)
        items = [(c, lab) for (_key, lab), c in sorted(
            seen.items(), key=lambda kv: order.index(kv[0][0]) if kv[0][0] in order else len(order))]
        items.append(("#ffffff", _("black ring: overdue")))
    m.add_child(Legend(_("Incidents by status"), items or [(NO_DATA, _("no incidents"))], dots=True))
    folium.LayerControl(collapsed=False).add_to(m)
    return m
