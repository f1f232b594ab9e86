// The grid head's map: the user's grid polygons, and the incidents coloured by status,
// overdue ones ringed in red. Offline: no basemap tiles unless the project configures them.
(function () {
  "use strict";
  var COLOURS = {
    reported: "#e66101", accepted: "#fdb863", dispatched: "#b2abd2", in_progress: "#5e3c99",
    resolved: "#1a9641", verified: "#a6d96a", closed: "#777777", rejected: "#222222",
    shelved: "#bbbbbb", reopened: "#ca0020"
  };
  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function start() {
    var el = document.getElementById("incident-map");
    if (!el || typeof L === "undefined") { return; }
    var scope = JSON.parse(document.getElementById("incident-scope").textContent);
    var labels = JSON.parse(document.getElementById("incident-status-labels").textContent);
    var map = L.map(el, {maxZoom: 20});
    var grids = L.geoJSON(scope, {style: {color: "#1f4e79", weight: 2, fillOpacity: 0.05}}).addTo(map);
    if (grids.getLayers().length) { map.fitBounds(grids.getBounds()); } else { map.setView([31.2232, 121.445], 15); }
    fetch(el.dataset.geojson, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        var points = L.geoJSON(fc, {
          pointToLayer: function (f, latlng) {
            var p = f.properties;
            return L.circleMarker(latlng, {
              radius: p.overdue ? 13 : 11,  // touch-sized: about 24 px across
              fillColor: COLOURS[p.status] || "#3388ff", fillOpacity: 0.85,
              color: p.overdue ? "#d7191c" : "#ffffff", weight: p.overdue ? 3 : 1
            }).bindPopup("<b>" + escapeHtml(p.ref) + "</b> " + escapeHtml(labels[p.status] || p.status) +
              (p.overdue ? " <b style='color:#d7191c'>!</b>" : "") + "<br>" + escapeHtml(p.type) +
              "<br>" + escapeHtml(p.description) +
              "<br><a class='incident-link' href='/incidents/" + encodeURIComponent(p.id) + "/'>" + escapeHtml(el.dataset.open || "open") + "</a>");
          }
        }).addTo(map);
        el.dataset.loaded = String(fc.features.length);
        if (!grids.getLayers().length && points.getLayers().length) { map.fitBounds(points.getBounds()); }
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
