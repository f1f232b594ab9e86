/* The report page: two-level type picker with search, the phone's position on a draggable pin
   (with the micro-grid it falls in, asked of /api/locate/ before sending), photos from the
   camera or the gallery shrunk in the browser, and one Idempotency-Key per report. */
(function () {
  "use strict";
  var form = document.getElementById("report");
  if (!form) return;
  var D = form.dataset, maxPhotos = parseInt(D.maxPhotos || "5", 10);
  var msg = document.getElementById("message");
  var key = geogridField.key();  // kept across retries of this report, renewed after it is taken
  var photos = [];  // [{blob, url}]

  function say(text, kind) {
    msg.hidden = false;
    msg.className = "notice" + (kind ? " " + kind : "");
    msg.textContent = text;
    msg.scrollIntoView({block: "nearest"});
  }
  function fmt(tpl, v) { return tpl.replace("%s", v); }

  // --- type picker: search over category and type names, open the categories that match
  var search = document.getElementById("type-search");
  var chosen = document.getElementById("type-chosen");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    form.querySelectorAll(".type-picker details").forEach(function (det) {
      var any = false;
      det.querySelectorAll(".choice").forEach(function (c) {
        var hit = !q || c.dataset.text.toLowerCase().indexOf(q) >= 0;
        c.hidden = !hit;
        any = any || hit;
      });
      det.hidden = !any;
      det.open = !!q && any;
    });
  });
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "type") {
      var det = ev.target.closest("details");
      chosen.textContent = det.querySelector("summary").textContent + " / " + ev.target.parentNode.textContent.trim();
    }
  });

  // --- map and position. The form is usable at once; the map library (and the offline outbox)
  // load after the page has (late()), and the map then shows the position found meanwhile.
  var map = null, pinIcon = null, marker = null, circle = null, locateTimer = null, lastFix = null;
  var accuracyEl = document.getElementById("accuracy"), gridEl = document.getElementById("grid-found");

  function late() {
    var links = document.getElementById("late-assets").dataset;
    var css = document.createElement("link");
    css.rel = "stylesheet"; css.href = links.leafletCss;
    document.head.appendChild(css);
    var leaflet = document.createElement("script");
    leaflet.src = links.leafletJs;
    leaflet.onload = startMap;
    document.head.appendChild(leaflet);
    var outbox = document.createElement("script");
    outbox.src = links.offlineJs; outbox.dataset.idb = links.idb; outbox.dataset.sw = links.sw;
    document.head.appendChild(outbox);
  }

  function startMap() {
    var outline = JSON.parse(document.getElementById("report-outline").textContent);
    map = L.map("report-map", {attributionControl: false});
    var grids = L.geoJSON(outline, {style: {color: "#1f4e79", weight: 2, fillOpacity: 0.04}});
    if (grids.getLayers().length) map.fitBounds(grids.getBounds(), {padding: [10, 10]});
    else map.setView([31.223, 121.445], 15);
    grids.addTo(map);
    pinIcon = L.divIcon({className: "report-pin", iconSize: [40, 40], iconAnchor: [20, 20]});
    map.on("click", function (ev) { place(ev.latlng.lat, ev.latlng.lng); });
    if (lastFix) showFix(lastFix);
    if (form.lon.value) place(parseFloat(form.lat.value), parseFloat(form.lon.value));
  }

  function locateGrid(lat, lon) {
    clearTimeout(locateTimer);
    locateTimer = setTimeout(async function () {
      try {
        var r = await fetch("/api/locate/?lon=" + lon.toFixed(7) + "&lat=" + lat.toFixed(7),
                            {credentials: "same-origin", headers: {"Accept": "application/json"}});
        if (r.ok) {
          var g = (await r.json()).grid;
          gridEl.textContent = fmt(D.inGrid, g.name + " (" + g.code + ")");
          gridEl.className = "notice ok";
          gridEl.dataset.code = g.code;
        } else {
          gridEl.textContent = D.noGrid;
          gridEl.className = "notice bad";
          gridEl.dataset.code = "";
        }
      } catch (e) {
        gridEl.textContent = "";  // offline: the server routes it when the report arrives
      }
    }, 250);
  }

  function place(lat, lon) {
    form.lon.value = lon.toFixed(7);
    form.lat.value = lat.toFixed(7);
    if (!map) {
      // no map yet: the point is kept in the form and drawn when the map starts
    } else if (!marker) {
      marker = L.marker([lat, lon], {draggable: true, icon: pinIcon, keyboard: true}).addTo(map);
      marker.on("dragend", function () { var p = marker.getLatLng(); place(p.lat, p.lng); });
    } else {
      marker.setLatLng([lat, lon]);
    }
    locateGrid(lat, lon);
  }
  function showFix(fix) {
    if (circle) circle.remove();
    circle = L.circle([fix.lat, fix.lon], {radius: fix.acc, color: "#1f4e79", weight: 1, fillOpacity: 0.1}).addTo(map);
    map.setView([fix.lat, fix.lon], Math.max(map.getZoom(), 17));
  }

  function locateMe() {
    if (!navigator.geolocation) { accuracyEl.textContent = D.noPosition; return; }
    accuracyEl.textContent = D.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude, lon = pos.coords.longitude, acc = Math.round(pos.coords.accuracy);
      accuracyEl.textContent = fmt(D.accuracy, acc);
      lastFix = {lat: lat, lon: lon, acc: acc};
      place(lat, lon);
      if (map) showFix(lastFix);
    }, function () {
      accuracyEl.textContent = D.noPosition;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }
  document.getElementById("locate-me").addEventListener("click", locateMe);
  locateMe();
  if (document.readyState === "complete") late();
  else window.addEventListener("load", late);

  // --- photos: camera or gallery, shrunk at once, at most maxPhotos
  var previews = document.getElementById("previews");
  function drawPreviews() {
    previews.textContent = "";
    photos.forEach(function (p, n) {
      var fig = document.createElement("figure");
      var img = document.createElement("img");
      img.src = p.url; img.alt = "";
      var rm = document.createElement("button");
      rm.type = "button"; rm.textContent = "×"; rm.setAttribute("aria-label", "remove");
      rm.addEventListener("click", function () { URL.revokeObjectURL(p.url); photos.splice(n, 1); drawPreviews(); });
      fig.appendChild(img); fig.appendChild(rm);
      previews.appendChild(fig);
    });
  }
  async function addFiles(input) {
    var files = Array.prototype.slice.call(input.files);
    for (var n = 0; n < files.length; n++) {
      if (photos.length >= maxPhotos) { say(D.tooMany, "bad"); break; }
      try {
        var blob = await geogridField.resize(files[n]);
        photos.push({blob: blob, url: URL.createObjectURL(blob)});
      } catch (e) { say(files[n].name, "bad"); }
    }
    input.value = "";
    drawPreviews();
  }
  ["photo-camera", "photo-pick"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function (ev) { addFiles(ev.target); });
  });

  // --- send
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var type = form.querySelector("input[name=type]:checked");
    if (!type) return say(D.needType, "bad");
    if (!form.description.value.trim()) return say(D.needText, "bad");
    if (!form.lon.value) return say(D.needPoint, "bad");
    var button = document.getElementById("send-report");
    button.disabled = true;
    var body = {fields: {type: type.value, incident_class: form.incident_class.value, description: form.description.value.trim(),
                         lon: form.lon.value, lat: form.lat.value, crs: "wgs84", source: "grid_patrol"},
                files: photos.map(function (p, n) { return {field: "photo", name: "photo" + (n + 1) + ".jpg", blob: p.blob}; })};
    // "Report what I see" from a running patrol (/patrol/ links here with ?patrol=<id>): tie the report to it.
    var patrol = new URLSearchParams(window.location.search).get("patrol");
    if (patrol && /^\d+$/.test(patrol)) body.fields.patrol = patrol;
    try {
      var res = await geogridField.send({method: "POST", url: "/api/incidents/", body: body, key: key,
                                         label: chosen.textContent || type.value});
      if (res.status === "queued") {
        say(D.queued, "ok");
        reset();
        return;
      }
      if (res.code >= 200 && res.code < 300 && res.data && res.data.id) {
        say(fmt(D.sent, res.data.ref), "ok");
        key = geogridField.key();
        location.href = "/incidents/" + res.data.id + "/";
        return;
      }
      say(geogridField.errorText(res, String(res.code)), "bad");
    } catch (e) {
      say(D.failed, "bad");
    } finally {
      button.disabled = false;
    }
  });
  // Disabled in the page until the handler above is bound: an early tap must not submit natively.
  document.getElementById("send-report").disabled = false;

  function reset() {
    key = geogridField.key();
    form.description.value = "";
    photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
    photos = [];
    drawPreviews();
  }
})();
