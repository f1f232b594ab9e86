// The overview: one fetch of the rows, one of the grid shapes; sorting and filtering redraw the
// table and the map from the same list, so both always show the same grids.
(function () {
  "use strict";
  var T = window.OV_TEXT;
  var FLAGS = JSON.parse(document.getElementById("ov-flag-labels").textContent);
  var form = document.getElementById("ov-filters");
  var tbody = document.querySelector("#ov-table tbody");
  var status = document.getElementById("ov-status");
  var state = { rows: [], shapes: null, sort: "code", desc: false, selected: null };
  var COLORS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

  var map = L.map("ov-map", { zoomControl: true, attributionControl: false });
  map.setView([31.223, 121.445], 14);
  var layer = L.geoJSON(null, { style: styleOf, onEachFeature: bindFeature }).addTo(map);
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () { this._div = L.DomUtil.create("div", "ov-legend"); return this._div; };
  legend.addTo(map);

  function params(extra) {
    var p = new URLSearchParams();
    var fd = new FormData(form);
    ["network", "level", "month", "flag", "q"].forEach(function (k) { if (fd.get(k)) p.set(k, fd.get(k)); });
    p.set("sort", state.sort); p.set("order", state.desc ? "desc" : "asc");
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }
  function fmt(v, pct) {
    if (v === null || v === undefined) return "–";
    return pct ? (Math.round(v * 1000) / 10) + "%" : String(v);
  }
  function visibleRows() {
    var fd = new FormData(form);
    var flag = fd.get("flag"), q = (fd.get("q") || "").trim().toLowerCase();
    var rows = state.rows.filter(function (r) {
      if (flag && r.flags.indexOf(flag) < 0) return false;
      if (q && r.grid.code.toLowerCase().indexOf(q) < 0 && r.grid.name.toLowerCase().indexOf(q) < 0) return false;
      return true;
    });
    var key = state.sort;
    function val(r) { return key === "code" || key === "name" ? r.grid[key] : r[key]; }
    var present = rows.filter(function (r) { return val(r) !== null && val(r) !== undefined; });
    var missing = rows.filter(function (r) { return val(r) === null || val(r) === undefined; });
    present.sort(function (a, b) {
      var x = val(a), y = val(b);
      var c = typeof x === "string" ? x.localeCompare(y, "zh") : x - y;
      return state.desc ? -c : c;
    });
    return present.concat(missing);
  }
  function breaks(values) {
    var v = values.filter(function (x) { return x !== null && x !== undefined; }).sort(function (a, b) { return a - b; });
    if (!v.length) return [];
    var out = [];
    for (var i = 1; i < COLORS.length; i++) out.push(v[Math.min(v.length - 1, Math.floor(i * v.length / COLORS.length))]);
    return out;
  }
  function colorOf(v, br) {
    if (v === null || v === undefined) return "#cccccc";
    var i = 0; while (i < br.length && v > br[i]) i++;
    return COLORS[i];
  }
  function styleOf(feature) {
    var r = feature.properties._row;
    if (!r) return { weight: 0.5, color: "#999", fillOpacity: 0 };
    var noStaff = r.flags.indexOf("no_staff") >= 0;
    return { weight: r.grid.id === state.selected ? 3 : (noStaff ? 2.5 : 1),
             color: r.grid.id === state.selected ? "#1f4e9c" : (noStaff ? "#8e44ad" : "#555"),
             dashArray: noStaff ? "6 4" : null,
             fillColor: colorOf(r[metric()], state.breaks), fillOpacity: 0.7 };
  }
  function metric() { return new FormData(form).get("metric"); }
  function bindFeature(feature, lyr) {
    lyr.on("click", function () { select(feature.properties.id, true); });
  }
  function label(r) {
    var flags = r.flags.map(function (f) { return FLAGS[f] || f; }).join("、");
    return "<b>" + esc(r.grid.name) + "</b> " + esc(r.grid.code) + (flags ? "<br>" + esc(flags) : "");
  }
  function esc(s) { var d = document.createElement("div"); d.textContent = s; return d.innerHTML; }
  function drawTable(rows) {
    tbody.textContent = "";
    if (!rows.length) {
      var tr = document.createElement("tr"); var td = document.createElement("td");
      td.colSpan = 15; td.textContent = T.none; tr.appendChild(td); tbody.appendChild(tr); return;
    }
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.dataset.grid = r.grid.id;
      if (r.flags.length) tr.className = "flagged";
      if (r.grid.id === state.selected) tr.className += " selected";
      var cells = [r.grid.code, r.grid.name, fmt(r.households), fmt(r.staff), fmt(r.households_per_staff),
                   fmt(r.visited_within_cadence, true), fmt(r.open), fmt(r.overdue), fmt(r.escalated),
                   fmt(r.closure_rate, true), fmt(r.on_time_rate, true), fmt(r.satisfaction), fmt(r.patrol_hours)];
      if ("raised" in r) cells.push(fmt(r.raised));  // another network: the matters its grid raised
      cells.forEach(function (c, i) {
        var td = document.createElement("td"); td.textContent = c; if (i >= 2) td.className = "num"; tr.appendChild(td);
      });
      var tf = document.createElement("td");
      r.flags.forEach(function (f) {
        var s = document.createElement("span"); s.className = "ov-flag " + f; s.textContent = FLAGS[f] || f; tf.appendChild(s);
      });
      tr.appendChild(tf);
      var tl = document.createElement("td");
      var a1 = document.createElement("a"); a1.href = "#"; a1.textContent = T.map;
      a1.addEventListener("click", function (e) { e.preventDefault(); select(r.grid.id, false); });
      var a2 = document.createElement("a"); a2.href = "/incidents/?grid=" + r.grid.id; a2.textContent = T.incidents;
      tl.appendChild(a1); tl.appendChild(document.createTextNode(" ")); tl.appendChild(a2);
      tr.appendChild(tl);
      tr.addEventListener("click", function (e) { if (e.target.tagName !== "A") select(r.grid.id, false); });
      tbody.appendChild(tr);
    });
  }
  function drawMap(rows) {
    if (!state.shapes) return;
    var byId = {}; rows.forEach(function (r) { byId[r.grid.id] = r; });
    state.breaks = breaks(rows.map(function (r) { return r[metric()]; }));
    layer.clearLayers();
    var feats = state.shapes.features.filter(function (f) { return byId[f.properties.id]; });
    feats.forEach(function (f) { f.properties._row = byId[f.properties.id]; });
    layer.addData({ type: "FeatureCollection", features: feats });
    layer.eachLayer(function (l) { l.bindTooltip(label(l.feature.properties._row), { sticky: true }); });
    if (feats.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    var br = state.breaks, html = "";
    if (br.length) {
      var lo = "≤ " + fmt(br[0]);
      html += "<div><i style='background:" + COLORS[0] + "'></i>" + lo + "</div>";
      for (var i = 1; i < COLORS.length; i++) {
        html += "<div><i style='background:" + COLORS[i] + "'></i>&gt; " + fmt(br[i - 1]) + "</div>";
      }
    }
    html += "<div><i style='background:#cccccc'></i>–</div>";
    legend._div.innerHTML = html;
  }
  function select(id, fromMap) {
    state.selected = id;
    redraw(false);
    layer.eachLayer(function (l) {
      if (l.feature.properties.id === id) { map.fitBounds(l.getBounds(), { maxZoom: 17 }); l.openTooltip(); }
    });
    if (fromMap) {
      var tr = tbody.querySelector("tr[data-grid='" + id + "']");
      if (tr) tr.scrollIntoView({ block: "center" });
    }
  }
  function redraw(refit) {
    var rows = visibleRows();
    drawTable(rows);
    if (refit !== false) drawMap(rows); else layer.setStyle(styleOf);
    status.textContent = rows.length + " " + T.rows + (state.period ? "，" + T.period + " " + state.period.start + " – " + state.period.end : "");
    document.querySelectorAll("#ov-table th[data-sort]").forEach(function (th) {
      th.classList.toggle("sorted-asc", th.dataset.sort === state.sort && !state.desc);
      th.classList.toggle("sorted-desc", th.dataset.sort === state.sort && state.desc);
    });
    document.getElementById("ov-csv").href = "/api/overview/?" + params({ format: "csv" });
    document.getElementById("ov-xlsx").href = "/api/overview/?" + params({ format: "xlsx" });
  }
  function load() {
    var level = new FormData(form).get("level");
    var network = new FormData(form).get("network") || "base";
    status.textContent = T.loading;
    var p = params(); p.delete("flag"); p.delete("q");
    Promise.all([
      fetch("/api/overview/?" + p, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) return r.json().then(function (b) { throw new Error(b.detail || r.status); });
        return r.json();
      }),
      fetch((network === "base" ? "/api/grids/?kind=base&tolerance=0.00001&level=" : "/api/networks/" + encodeURIComponent(network) + "/grids/?level=")
            + encodeURIComponent(level), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    ]).then(function (res) {
      state.rows = res[0].rows; state.period = res[0].period; state.shapes = res[1];
      redraw();
    }).catch(function (e) { status.textContent = T.error + "：" + e.message; });
  }
  document.querySelectorAll("#ov-table th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      if (state.sort === th.dataset.sort) state.desc = !state.desc; else { state.sort = th.dataset.sort; state.desc = th.dataset.sort !== "code" && th.dataset.sort !== "name"; }
      redraw(false);
    });
  });
  form.addEventListener("change", function (e) {
    if (e.target.name === "network") { window.location.search = "?network=" + encodeURIComponent(e.target.value); return; }
    if (e.target.name === "level" || e.target.name === "month") load(); else redraw();
  });
  form.addEventListener("input", function (e) { if (e.target.name === "q") redraw(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  load();
})();
