"""Vector-tile layers for the large grid layers of the maps (Leaflet.VectorGrid, vendored from npm).

A city of 10,000 grids as one GeoJSON is tens of megabytes in the page and seconds of parsing;
as tiles (/tiles/..., built by ST_AsMVT and scoped per user) the browser fetches only what is in
view. The tile carries each grid's code, name and figures; what the page alone knows (the fill
colour from the map's classification, figures not in the tile) comes through the same side channel
as DataGeoJson (window.geogridData), keyed by a tile property (the grid code).

Each layer counts what it drew in `window.geogridVectorTiles[<name>]`: `features` (distinct keys
drawn), `tiles` (loaded) and `loading` (requested, not yet loaded); the browser tests and the
PNG/PDF export read it.
"""

from __future__ import annotations

import json

import folium
from django.templatetags.static import static
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template

from .assets import VENDOR_JS
from .geojson import DATA_ATTR

# Above this many features a map layer is drawn from vector tiles instead of embedded GeoJSON.
VECTOR_TILES_ABOVE = 2000


class VectorTiles(JSCSSMixin, Layer):
    """Polygons of one MVT layer, filled with the colour the page gives each feature's `key`
    (property `_c` in `data`), with a tooltip table of (property, label) `fields`."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    // VectorGrid 1.3 stops a canvas click with L.DomEvent.fakeStop, which Leaflet 1.8 removed.
    if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function (e) { L.DomEvent.stopPropagation(e); }; }
    var name = {{ this.get_name()|tojson }}, key = {{ this.key|tojson }}, tileLayer = {{ this.layer|tojson }};
    var base = {{ this.base_style|tojson }}, hover = {{ this.hover_style|tojson }};
    var fields = {{ this.fields|tojson }};
    var page = (window.geogridData && window.geogridData[name]) || {};
    var seen = {};
    var stats = {features: 0, tiles: 0, loading: 0};
    window.geogridVectorTiles = window.geogridVectorTiles || {};
    window.geogridVectorTiles[name] = stats;
    function esc(v) { return String(v).replace(/[&<>"]/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
    function props(p) { return Object.assign({}, p, page[p[key]] || {}); }
    function tip(p) {
        var rows = fields.map(function (f) {
            var v = p[f[0]]; if (v === null || v === undefined || v === "") { v = "–"; }
            return "<tr><th>" + esc(f[1]) + "</th><td>" + esc(v) + "</td></tr>"; });
        return '<table class="geogrid-tip">' + rows.join("") + "</table>";
    }
    function style(p) {
        var k = p[key];
        if (k !== undefined && !seen[k]) { seen[k] = true; stats.features += 1; }
        var c = (page[k] || {})._c;
        return Object.assign({fill: base.fill !== false}, base, c ? {fillColor: c} : {});
    }
    var styles = {}; styles[tileLayer] = style;
    var layer = L.vectorGrid.protobuf({{ this.url|tojson }}, {
        rendererFactory: L.canvas.tile, interactive: {{ (this.fields|length > 0)|tojson }},
        vectorTileLayerStyles: styles, maxNativeZoom: 20,
        getFeatureId: function (f) { return f.properties[key]; }
    });
    layer.on("tileloadstart", function () { stats.loading += 1; });
    layer.on("tileload tileerror", function () { stats.loading = Math.max(0, stats.loading - 1); stats.tiles += 1; });
    var tooltip = L.tooltip({sticky: true}), lit = null;
    layer.on("mouseover", function (e) {
        var p = e.layer.properties || {};
        if (lit !== null && lit !== p[key]) { layer.resetFeatureStyle(lit); }
        lit = p[key];
        if (lit !== undefined) { layer.setFeatureStyle(lit, Object.assign({}, style(p), hover)); }
        if (fields.length) {
            tooltip.setContent(tip(props(p))).setLatLng(e.latlng);
            {{ this._parent_map_name }}.openTooltip(tooltip);
        }
    });
    layer.on("mouseout", function () {
        if (lit !== null && lit !== undefined) { layer.resetFeatureStyle(lit); }
        lit = null;
        {{ this._parent_map_name }}.closeTooltip(tooltip);
    });
    return layer;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
""")

    def __init__(self, url: str, *, layer: str, name: str, key: str = "code", data: dict | None = None,
                 fields: list[tuple[str, str]] = (), base_style: dict, hover_style: dict | None = None,
                 overlay: bool = True, control: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "VectorTiles"
        self.url = url
        self.layer = layer
        self.key = key
        self.text = json.dumps(data or {}, ensure_ascii=False, separators=(",", ":"))
        self.fields = [[k, str(label)] for k, label in fields]
        self.base_style = base_style
        self.hover_style = hover_style or {"weight": 3, "color": "#000"}
        self.default_js = [("vectorgrid", static(VENDOR_JS["vectorgrid"]))]
        self._parent_map_name = ""

    def add_to(self, parent, name=None, index=None):
        super().add_to(parent, name=name, index=index)
        owner = parent
        while owner is not None and not isinstance(owner, folium.Map):
            owner = getattr(owner, "_parent", None)
        if owner is None:
            raise ValueError("add VectorTiles to a map, or to a group already on a map")
        self._parent_map_name = owner.get_name()
        if not hasattr(owner, DATA_ATTR):
            setattr(owner, DATA_ATTR, {})
        getattr(owner, DATA_ATTR)[self.get_name()] = self.text
        return self
