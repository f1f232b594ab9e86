/* The planner's editor. Geoman draws and edits; split, merge and undo happen on the server
   (Geoman free has no split-by-line, merge or undo), and the page re-fetches the plan. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("planner-strings").textContent);
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var $ = function (id) { return document.getElementById(id); };
  var PARENTS = JSON.parse(document.getElementById("planner-parents").textContent);
  var map = L.map("map", { zoomControl: true, maxZoom: 22 }).setView([31.224, 121.445], 15);
  map.pm.setLang("zh");
  map.pm.setGlobalOptions({ snappable: true, snapDistance: 15 });
  var parentLayer = L.geoJSON(null, { style: { color: "#333", weight: 3, fill: false, dashArray: "6 4" }, pmIgnore: true }).addTo(map);
  var gridLayer = L.featureGroup().addTo(map);
  var problemLayer = L.geoJSON(null, { style: { color: "#e00", weight: 2, fillOpacity: 0.5 }, pmIgnore: true }).addTo(map);
  // Guide lines (roads, rivers, walls) stay on the page until cleared; auto-partition cuts along them.
  var guideLayer = L.featureGroup().addTo(map);
  var state = { plan: null, selected: [], mode: null, layers: {}, reference: null };
  // Reference layers, drawn with no basemap: the parent's current grids (named), the grids
  // around it, and its addresses as dots.
  var neighbourLayer = L.featureGroup().addTo(map);
  var childrenLayer = L.featureGroup().addTo(map);
  var addressLayer = L.featureGroup().addTo(map);
  var dots = L.canvas({ padding: 0.2 });  // thousands of address dots: one canvas, not an SVG node each
  var overlays = {};
  overlays[T.layer_children] = childrenLayer; overlays[T.layer_neighbours] = neighbourLayer;
  overlays[T.layer_addresses] = addressLayer; overlays[T.layer_plan] = gridLayer;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  function label(layer, text, cls) {
    layer.bindTooltip(text, { permanent: true, direction: "center", className: "grid-label " + (cls || ""), interactive: false });
  }

  function fmt(s) { var a = Array.prototype.slice.call(arguments, 1); return s.replace(/%s/g, function () { return a.shift(); }); }
  function say(text, isError) { var m = $("message"); m.textContent = text || ""; m.className = "message" + (isError ? " error" : ""); }

  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRFToken": csrf, "Accept": "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.detail || (T.error + " " + r.status)); e.status = r.status; e.data = data; throw e; }
        return data;
      });
    });
  }
  function fail(e) { say((e.status === 409 ? T.conflict + ": " : "") + e.message, true); }

  function loadPlans() {
    return api("GET", "/api/plans/?status=draft&parent=" + $("parent").value).then(function (plans) {
      $("plans").innerHTML = "";
      plans.forEach(function (p) {
        var o = document.createElement("option"); o.value = p.id;
        o.textContent = "#" + p.id + " " + (p.author || "") + " · " + p.status_label; $("plans").appendChild(o);
      });
      if (!plans.length) { var o = document.createElement("option"); o.value = ""; o.textContent = T.no_plans; $("plans").appendChild(o); }
    });
  }

  // --- the parent picker: a tree of the grids the planner may plan, searchable by code or name
  function buildTree() {
    var byParent = {};
    PARENTS.forEach(function (p) { var k = p.parent_id || 0; (byParent[k] = byParent[k] || []).push(p); });
    function branch(pid, ul) {
      (byParent[pid] || []).forEach(function (p) {
        var li = document.createElement("li"); li.setAttribute("role", "treeitem"); li.dataset.gridId = p.id;
        li.dataset.search = (p.code + " " + p.name).toLowerCase();
        var b = document.createElement("button"); b.type = "button"; b.className = "node"; b.dataset.gridId = p.id;
        b.textContent = p.code + " " + p.name; b.onclick = function () { pickParent(p.id); };
        li.appendChild(b);
        if (byParent[p.id]) { var sub = document.createElement("ul"); sub.setAttribute("role", "group"); branch(p.id, sub); li.appendChild(sub); }
        ul.appendChild(li);
      });
    }
    branch(0, $("parent-tree"));
  }
  function filterTree() {
    var q = $("parent-search").value.trim().toLowerCase(), shown = 0;
    var items = Array.prototype.slice.call($("parent-tree").querySelectorAll("li"));
    items.forEach(function (li) { li.hidden = !!q; });
    items.forEach(function (li) {
      if (q && li.dataset.search.indexOf(q) >= 0) {
        shown++;
        for (var n = li; n && n.id !== "parent-tree"; n = n.parentElement) { if (n.tagName === "LI") { n.hidden = false; } }
      }
    });
    $("parent-tree").dataset.empty = q && !shown ? T.no_match : "";
  }
  function parentInfo(id) { return PARENTS.filter(function (p) { return p.id === id; })[0]; }
  function pickParent(id) {
    id = parseInt(id, 10);
    $("parent").value = id;
    Array.prototype.forEach.call($("parent-tree").querySelectorAll("button.node"), function (b) {
      var on = parseInt(b.dataset.gridId, 10) === id; b.classList.toggle("current", on); b.setAttribute("aria-selected", on ? "true" : "false");
    });
    var p = parentInfo(id); $("parent-current").textContent = p ? p.code + " " + p.name : "";
    if (state.plan && state.plan.parent !== id) { closePlan(); }
    return Promise.all([loadPlans(), loadReference(id)]);
  }
  function closePlan() {
    state.plan = null; state.data = null; state.selected = [];
    gridLayer.clearLayers(); problemLayer.clearLayers(); state.layers = {};
    $("tools").disabled = true; $("plan-status").textContent = ""; $("plan-note").hidden = true;
    $("problems").innerHTML = ""; $("impact").innerHTML = "";
    if (!map.hasLayer(childrenLayer)) { childrenLayer.addTo(map); }
  }
  function loadReference(id) {
    document.body.dataset.reference = "loading";
    return api("GET", "/api/plans/reference/?parent=" + id).then(function (d) {
      state.reference = d;
      neighbourLayer.clearLayers(); childrenLayer.clearLayers(); addressLayer.clearLayers();
      L.geoJSON(d.neighbours, { style: { color: "#888", weight: 1.5, dashArray: "4 4", fillOpacity: 0.05 }, pmIgnore: true })
        .eachLayer(function (l) { label(l, l.feature.properties.name, "neighbour"); neighbourLayer.addLayer(l); });
      L.geoJSON(d.children, { style: { color: "#2a7", weight: 2, fillOpacity: 0.1 }, pmIgnore: true })
        .eachLayer(function (l) { label(l, l.feature.properties.name); childrenLayer.addLayer(l); });
      d.addresses.forEach(function (a) {
        addressLayer.addLayer(L.circleMarker([a[1], a[0]], { renderer: dots, radius: a[2] > 3 ? 3 : 2, weight: 0, fillColor: "#345", fillOpacity: 0.6,
                                                              pmIgnore: true, interactive: false }));
      });
      parentLayer.clearLayers(); parentLayer.addData(d.parent.geometry);
      if (state.plan) { map.removeLayer(childrenLayer); } else { fit(); }
      document.body.dataset.reference = "ready";
      return d;
    }).catch(fail);
  }

  function styleFor(f) {
    var sel = state.selected.indexOf(f.id) >= 0;
    return { color: sel ? "#06f" : "#2a7", weight: sel ? 4 : 2, fillOpacity: sel ? 0.35 : 0.15 };
  }

  function render(data) {
    state.plan = data.plan;
    state.data = data;
    var ids = data.features.map(function (f) { return f.id; });
    state.selected = state.selected.filter(function (id) { return ids.indexOf(id) >= 0; });
    gridLayer.clearLayers(); state.layers = {};
    data.features.forEach(function (f) {
      var layer = L.geoJSON(f, { style: function () { return styleFor(f); } });
      layer.eachLayer(function (l) {
        l.feature = f;
        label(l, f.properties.name + (f.properties.code ? "" : " (" + T.new_grid + ")"), "plan");
        l.on("click", function (ev) { if (!state.mode) { toggle(f.id); L.DomEvent.stop(ev); } });
        l.on("pm:edit", function () { saveVertices(f.id, l); });
        gridLayer.addLayer(l); state.layers[f.id] = l;
      });
    });
    parentLayer.clearLayers(); parentLayer.addData(data.plan.parent_geometry);
    problemLayer.clearLayers();
    var list = $("problems"); list.innerHTML = "";
    var draft = data.plan.status === "draft";
    data.problems.forEach(function (p) {
      if (!draft) { return; }
      var li = document.createElement("li"); li.className = p.severity; li.textContent = p.detail; list.appendChild(li);
      if (p.geometry && p.rule !== "household_band") { problemLayer.addData(p.geometry); }
    });
    if (draft && !data.problems.length) { var li = document.createElement("li"); li.textContent = T.no_problems; list.appendChild(li); }
    $("tools").disabled = !draft;
    ["btn-publish", "btn-discard"].forEach(function (id) { $(id).hidden = !draft; $(id).style.display = draft ? "" : "none"; });
    var note = $("plan-note");
    note.hidden = draft;
    note.textContent = draft ? "" : (data.plan.status === "discarded" ? T.discarded_note :
      (data.plan.status === "published" ? T.published_note : fmt(T.not_draft, data.plan.status_label)));
    if (!draft) { $("impact").innerHTML = ""; }
    $("plan-status").textContent = "#" + data.plan.id + " " + data.plan.parent_code + " " + data.plan.parent_name + " · " + data.plan.status_label;
    document.body.dataset.planStatus = data.plan.status;
    if (map.hasLayer(childrenLayer)) { map.removeLayer(childrenLayer); }
    $("btn-undo").disabled = data.plan.cursor === 0;
    $("btn-redo").disabled = !data.plan.can_redo;
    showSelected();
    document.body.dataset.planState = "ready";
  }

  function fit() { if (parentLayer.getLayers().length) { map.fitBounds(parentLayer.getBounds()); } }
  function showSelected() {
    $("selected").textContent = T.selected + ": " + (state.selected.length ? state.selected.map(function (id) {
      var f = state.data.features.filter(function (x) { return x.id === id; })[0]; return f ? f.properties.name : id;
    }).join(", ") : T.none);
    gridLayer.eachLayer(function (l) { l.setStyle(styleFor(l.feature)); });
  }
  function toggle(id) {
    var i = state.selected.indexOf(id);
    if (i >= 0) { state.selected.splice(i, 1); } else { state.selected.push(id); }
    var f = state.data.features.filter(function (x) { return x.id === id; })[0];
    if (f && state.selected.length === 1) { $("name").value = f.properties.name; $("kind").value = f.properties.kind; }
    showSelected();
  }

  // Every edit answers the whole plan; the impact panel is refreshed after each one, so it
  // never shows the plan as it was before the last split, merge or redraw.
  function act(promise) {
    document.body.dataset.planState = "busy";
    return promise.then(function (data) {
      render(data); say(T.saved);
      if (data.plan.status !== "draft") { return data; }
      document.body.dataset.planState = "busy";  // ready again once the impact is in step
      return impact().then(function () { document.body.dataset.planState = "ready"; return data; });
    })
      .catch(function (e) { document.body.dataset.planState = "ready"; fail(e); throw e; });
  }
  function url(action) { return "/api/plans/" + state.plan.id + "/" + action + "/"; }

  function openPlan(id) {
    state.selected = [];
    return act(api("GET", "/api/plans/" + id + "/")).then(function (d) { fit(); say(fmt(T.opened, id)); return d; });
  }
  function newPlan() {
    if (!$("parent").value) { say(T.select_parent, true); return Promise.reject(new Error(T.select_parent)); }
    return act(api("POST", "/api/plans/", { parent: parseInt($("parent").value, 10) }))
      .then(function (d) { fit(); loadPlans(); say(fmt(T.opened, d.plan.id)); return d; });
  }
  // The one path every split takes: the line drawn in Geoman (or given) goes to the server.
  function splitWithLine(line) {
    if (state.selected.length !== 1) { say(T.select_one, true); return Promise.reject(new Error(T.select_one)); }
    return act(api("POST", url("split"), { grid: state.selected[0], line: line })).then(function (d) {
      state.selected = []; showSelected(); return d;
    });
  }
  function drawGrid(geometry) {
    return act(api("POST", url("draw"), { geometry: geometry, name: $("name").value || T.new_grid, kind: $("kind").value }));
  }
  function merge() {
    if (state.selected.length < 2) { say(T.select_two, true); return Promise.reject(new Error(T.select_two)); }
    return act(api("POST", url("merge"), { grids: state.selected.slice() }));
  }
  function saveVertices(id, layer) {
    return act(api("PATCH", url("grids/" + id), { geometry: layer.toGeoJSON().geometry }));
  }
  function impact() {
    document.body.dataset.impact = "loading";
    var shown = $("impact").firstChild; if (shown) { $("impact").classList.add("stale"); }
    var seq = (state.impactSeq = (state.impactSeq || 0) + 1);
    return api("GET", url("impact")).then(function (d) {
      if (seq !== state.impactSeq) { return d; }  // a later edit asked again: its answer wins
      $("impact").classList.remove("stale");
      var rows = d.flows.filter(function (f) { return f.moves; }).map(function (f) {
        return "<tr><td>" + esc(f.from ? f.from.code + " " + f.from.name : "-") + "</td><td>" + esc(f.to ? f.to.name : "-") +
          "</td><td>" + f.addresses + "</td><td>" + f.households + "</td><td>" + f.subjects + "</td><td>" + f.incidents + "</td></tr>";
      }).join("");
      var grids = d.grids.map(function (g) {
        return "<tr><td>" + esc(g.name) + "</td><td>" + g.households + "</td><td>" + (g.band ? g.band.join("-") : "") + "</td><td>" +
          (g.in_band === null ? "" : (g.in_band ? T.in_band : T.out_of_band)) + "</td></tr>";
      }).join("");
      $("impact").innerHTML = "<p>" + T.moves + ": " + d.moved.addresses + " " + T.addresses + ", " + d.moved.households + " " + T.households +
        ", " + d.moved.subjects + " " + T.subjects + ", " + d.moved.incidents + " " + T.incidents + "; " + T.retire + ": " +
        esc(d.retire.map(function (r) { return r.code; }).join(", ") || T.none) + "</p>" +
        "<table class='flows'><tr><th>" + T.from + "</th><th>" + T.to + "</th><th>" + T.addresses + "</th><th>" + T.households +
        "</th><th>" + T.subjects + "</th><th>" + T.incidents + "</th></tr>" + rows + "</table>" +
        "<table class='grids'><tr><th></th><th>" + T.households + "</th><th>" + T.band + "</th><th></th></tr>" + grids + "</table>";
      $("impact").appendChild(staffTable(d));
      document.body.dataset.impact = "shown";
      return d;
    }).catch(fail);
  }
  // The people on retired or changed grids, each with the decision publishing will apply
  // (the server's default until the planner picks another).
  function staffTable(d) {
    state.decisions = {};
    var box = document.createElement("div");
    box.className = "staff-decisions";
    var h = document.createElement("h3"); h.textContent = T.staff_heading; box.appendChild(h);
    var names = {}; d.grids.forEach(function (g) { names[g.id] = g.name; });
    if (!d.assignments.length) {
      var p = document.createElement("p"); p.textContent = T.staff_none; box.appendChild(p);
    } else {
      var table = document.createElement("table"); table.className = "staff";
      var head = table.insertRow();
      [T.staff_name, T.staff_role, T.staff_grid, T.staff_decision].forEach(function (t) {
        var th = document.createElement("th"); th.textContent = t; head.appendChild(th);
      });
      d.assignments.forEach(function (a) {
        var tr = table.insertRow(); tr.dataset.assignment = a.assignment;
        [a.name, a.role_label, a.grid.code + " " + a.grid.name].forEach(function (t) { tr.insertCell().textContent = t; });
        var sel = document.createElement("select"); sel.setAttribute("aria-label", T.staff_decision + " " + a.name);
        function opt(value, label, decision) {
          var o = document.createElement("option"); o.value = value; o.textContent = label; o._decision = decision; sel.appendChild(o);
        }
        var def = a["default"];
        if (def.action === "moved") { opt("default", T.staff_follow + " " + def.to.map(function (t) { return names[t] || t; }).join("、"), def); }
        if (a.grid_change === "changed") { opt("keep", T.staff_keep, { action: "kept", to: def.to }); }
        a.options.forEach(function (t) { opt("to-" + t, T.staff_only + " " + (names[t] || t), { action: "moved", to: [t] }); });
        opt("end", T.staff_end, { action: "ended", to: [] });
        sel.addEventListener("change", function () { state.decisions[a.assignment] = sel.options[sel.selectedIndex]._decision; });
        state.decisions[a.assignment] = sel.options[0]._decision;
        tr.insertCell().appendChild(sel);
      });
      box.appendChild(table);
    }
    if (d.without_head && d.without_head.length) {
      var w = document.createElement("p"); w.className = "warning without-head";
      w.textContent = T.without_head + ": " + d.without_head.map(function (g) { return g.name; }).join("、");
      box.appendChild(w);
    }
    return box;
  }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function publish(skipConfirm) {
    if (!skipConfirm && !window.confirm(T.confirm_publish)) { return Promise.resolve(null); }
    var body = state.decisions ? { assignments: state.decisions } : {};
    return api("POST", url("publish"), body).then(function (r) {
      say(fmt(T.publish_ok, r.created.length, r.retired.length));
      document.body.dataset.published = "yes";
      return api("GET", "/api/plans/" + state.plan.id + "/").then(render).then(function () { return r; });
    }).catch(function (e) { fail(e); return null; });
  }

  map.on("pm:create", function (e) {
    var geo = e.layer.toGeoJSON().geometry; map.removeLayer(e.layer);
    var mode = state.mode; state.mode = null;
    if (mode === "guide" && e.shape === "Line") { addGuide(geo); }
    else if (mode === "split" || e.shape === "Line") { splitWithLine(geo).catch(function () {}); }
    else if (e.shape === "Polygon" || e.shape === "Rectangle") { drawGrid(geo).catch(function () {}); }
  });

  $("btn-new").onclick = function () { newPlan().catch(function () {}); };
  $("btn-open").onclick = function () { if ($("plans").value) { openPlan($("plans").value).catch(function () {}); } };
  $("parent-search").addEventListener("input", filterTree);
  $("btn-draw").onclick = function () { state.mode = "draw"; say(T.draw_poly); map.pm.enableDraw("Polygon", { snappable: true }); };
  $("btn-split").onclick = function () {
    if (state.selected.length !== 1) { say(T.select_one, true); return; }
    state.mode = "split"; say(T.draw_line); map.pm.enableDraw("Line", { snappable: true });
  };
  $("btn-merge").onclick = function () { merge().catch(function () {}); };
  $("btn-edit").onclick = function () {
    var on = !map.pm.globalEditModeEnabled();
    gridLayer.eachLayer(function (l) { if (on) { l.pm.enable({ snappable: true, allowSelfIntersection: false }); } else { l.pm.disable(); } });
  };
  $("btn-undo").onclick = function () { act(api("POST", url("undo"))).catch(function () {}); };
  $("btn-redo").onclick = function () { act(api("POST", url("redo"))).catch(function () {}); };
  $("btn-rename").onclick = function () {
    if (state.selected.length !== 1) { say(T.select_one, true); return; }
    act(api("PATCH", url("grids/" + state.selected[0]), { name: $("name").value, kind: $("kind").value })).catch(function () {});
  };
  function guideLines() {
    return guideLayer.getLayers().map(function (l) { return l.toGeoJSON(); });
  }
  function showGuides() { var n = guideLayer.getLayers().length; $("guide-count").textContent = n ? fmt(T.guides, n) : ""; }
  function addGuide(geometry) {
    L.geoJSON(geometry, { style: { color: "#c60", weight: 4, dashArray: "2 6" }, pmIgnore: true })
      .eachLayer(function (l) { guideLayer.addLayer(l); });
    showGuides();
  }
  function autopartition(target) {
    var lines = guideLines(), body = { target_households: target };
    if (lines.length) { body.lines = { type: "FeatureCollection", features: lines }; }
    return act(api("POST", url("autopartition"), body)).then(function (d) {
      var a = d.autopartition;
      say(lines.length ? fmt(T.autopartition_lines, lines.length, a.cells, a.in_band) : fmt(T.autopartition_done, a.cells, a.in_band));
      return d;
    });
  }
  $("btn-auto").onclick = function () { autopartition(parseInt($("target").value, 10)).catch(function () {}); };
  $("btn-guide").onclick = function () { state.mode = "guide"; say(T.draw_guide); map.pm.enableDraw("Line", { snappable: true }); };
  $("btn-guide-clear").onclick = function () { guideLayer.clearLayers(); showGuides(); };
  $("btn-impact").onclick = function () { impact(); };
  $("btn-publish").onclick = function () { publish(false); };
  $("btn-discard").onclick = function () {
    if (window.confirm(T.confirm_discard)) { act(api("POST", url("discard"))).then(function () { say(T.discarded); loadPlans(); }).catch(function () {}); }
  };

  window.planner = { map: map, state: state, openPlan: openPlan, newPlan: newPlan, select: toggle, splitWithLine: splitWithLine,
                     merge: merge, drawGrid: drawGrid, impact: impact, publish: publish, layers: function () { return state.layers; },
                     addGuide: addGuide, guideLines: guideLines, autopartition: autopartition, pickParent: pickParent,
                     reference: function () { return state.reference; } };
  buildTree();
  // Open on the top of the planner's tree (the street), its grids drawn and named.
  if (PARENTS.length) {
    var top = PARENTS.filter(function (p) { return !p.parent_id; }).sort(function (a, b) { return a.level - b.level || (a.code < b.code ? -1 : 1); })[0];
    pickParent(top.id);
  }
  say(T.select_parent);
})();
