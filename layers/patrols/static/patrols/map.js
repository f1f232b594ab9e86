/* Patrol tracks of the members a grid head or station chief answers for, over their grids. */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("patrol-map");
    var map = L.map(el, {zoomControl: true, maxZoom: 20});
    var grids = JSON.parse(JSON.parse(document.getElementById("patrol-grids").textContent));
    var outline = L.geoJSON(grids, {style: {color: "#1f5f99", weight: 2, fillOpacity: 0.04}}).addTo(map);
    if (outline.getBounds().isValid()) map.fitBounds(outline.getBounds()); else map.setView([31.223, 121.445], 15);
    fetch(el.dataset.tracks, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        fc.features = fc.features.filter(function (f) { return f.geometry; });
        var tracks = L.geoJSON(fc, {
          style: function (f) { return {color: f.properties.open ? "#d35400" : "#27ae60", weight: 4}; },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            var text = document.createElement("div");
            text.textContent = p.member.name + " · " + p.grid.name + " · " + (p.started_at || "").slice(0, 16).replace("T", " ") +
              " · " + Math.round(p.distance_m) + " m";
            layer.bindPopup(text);
          }
        }).addTo(map);
        el.dataset.tracksShown = String(fc.features.length);
      });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
