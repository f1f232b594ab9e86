"""A lean GeoJSON layer for large grid sets.

folium's GeoJson embeds a per-feature style switch and re-serialises the data inside its
Jinja template; every rendered script is then compiled again as a template by branca. With
10,000 polygons that is seconds and tens of megabytes. Here the FeatureCollection is written
once as text (shapely's vectorised `to_geojson` for geometry), kept out of the templates in a
side channel (`data_script()`), and styled, highlighted and tooltipped in JavaScript from
each feature's properties: the colour is a property `_c`, the tooltip a table of `fields`.
"""

from __future__ import annotations

import json
import math

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.map import Layer
from jinja2 import Template

DATA_ATTR = "_geogrid_data"


def _clean(v):
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else round(float(v), 2)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False)
    return v if isinstance(v, (int, str, bool)) else str(v)


def feature_collection_text(gdf: gpd.GeoDataFrame, fields: list[str], *, precision: int = 6) -> str:
    """The frame as GeoJSON text with only `fields` as properties (NaN -> null)."""
    cols = [f for f in fields if f in gdf.columns]
    geoms = gdf.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    # Round coordinates before writing: 6 decimals is ~0.1 m, plenty for a map.
    gtext = shapely.to_geojson(shapely.set_precision(geoms[ok], 10 ** -precision, mode="pointwise"))
    records = gdf.loc[ok, cols].itertuples(index=False, name=None)
    parts = [f'{{"type":"Feature","geometry":{g},"properties":'
             f'{json.dumps({k: _clean(v) for k, v in zip(cols, row)}, ensure_ascii=False)}}}'
             for g, row in zip(gtext, records)]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


class DataGeoJson(Layer):
    """Polygons coloured by their `_c` property, with a tooltip table of (key, label) fields."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var base = {{ this.base_style|tojson }}, hover = {{ this.hover_style|tojson }};
    var fields = {{ this.fields|tojson }};
    function esc(v) { return String(v).replace(/[&<>"]/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
    function tip(p) {
        var rows = fields.map(function (f) {
            var v = p[f[0]]; if (v === null || v === undefined || v === "") { v = "–"; }
            return "<tr><th>" + esc(f[1]) + "</th><td>" + esc(v) + "</td></tr>"; });
        return '<table class="geogrid-tip">' + rows.join("") + "</table>";
    }
    var layer = L.geoJson(null, {
        style: function (f) { return Object.assign({}, base, f.properties._c ? {fillColor: f.properties._c} : {}); },
        onEachFeature: function (f, l) {
            {%- if this.fields %}
            l.bindTooltip(function () { return tip(f.properties); }, {sticky: true});
            {%- endif %}
            l.on({mouseover: function (e) { e.target.setStyle(hover); },
                  mouseout: function (e) { layer.resetStyle(e.target); }});
        }
    });
    layer.addData(window.geogridData[{{ this.get_name()|tojson }}]);
    return layer;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
""")

    def __init__(self, text: str, *, name: str, fields: list[tuple[str, str]], base_style: dict,
                 hover_style: dict | None = None, overlay: bool = True, control: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "DataGeoJson"
        self.text = text
        self.fields = [[k, str(label)] for k, label in fields]
        self.base_style = base_style
        self.hover_style = hover_style or {"weight": 3, "color": "#000"}

    def add_to(self, parent, name=None, index=None):
        super().add_to(parent, name=name, index=index)
        owner = parent
        while owner is not None and not isinstance(owner, folium.Map):
            owner = getattr(owner, "_parent", None)
        if owner is None:
            raise ValueError("add DataGeoJson to a map, or to a group already on a map")
        if not hasattr(owner, DATA_ATTR):
            setattr(owner, DATA_ATTR, {})
        getattr(owner, DATA_ATTR)[self.get_name()] = self.text
        return self


def data_script(m) -> str:
    """`<script>` defining window.geogridData for every DataGeoJson layer of map `m`."""
    lines = []
    for key, text in getattr(m, DATA_ATTR, {}).items():
        # "</" inside a string would end the script element early.
        lines.append(f"window.geogridData[{json.dumps(key)}]=" + text.replace("</", "<\\/") + ";")
    return "<script>window.geogridData=window.geogridData||{};\n" + "\n".join(lines) + "</script>"
