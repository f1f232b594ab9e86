// Builds the admin geometry widgets (layers/grids/widgets.py) from their JSON options: Django's
// template does this in an inline script, which the page's Content-Security-Policy refuses.
(function () {
  function build() {
    document.querySelectorAll("script[type='application/json'][id$='_widget_options']").forEach(function (node) {
      var o = JSON.parse(node.textContent);
      var base = o.tiles.length ? new ol.layer.Group({layers: o.tiles.map(function (t) {
        return new ol.layer.Tile({source: new ol.source.XYZ({url: t.url, attributions: t.attribution, maxZoom: 19})});
      })}) : new ol.layer.Vector({source: new ol.source.Vector()});
      window[o.module] = new MapWidget({
        base_layer: base, default_lat: o.default_lat, default_lon: o.default_lon, default_zoom: o.default_zoom,
        geom_name: o.geom_name, id: o.id, map_id: o.id + "_map", map_srid: o.map_srid, name: o.name
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build); else build();
})();
