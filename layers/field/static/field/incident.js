/* The incident page: the map, the deadline countdown, and the action forms. Each action posts to
   the scoped API with the status (or escalation level) the page showed, so a case someone else
   moved first is refused (409) with the server's message, and the page then reloads. */
(function () {
  "use strict";
  var root = document.getElementById("incident");
  if (!root) return;
  var id = root.dataset.id;
  var msg = document.getElementById("message");

  function say(text, kind) {
    msg.hidden = false;
    msg.className = "notice" + (kind ? " " + kind : "");
    msg.textContent = text;
    msg.scrollIntoView({block: "nearest"});
  }

  // Countdown to the deadline, in whole minutes.
  var cd = document.getElementById("countdown");
  function tick() {
    if (!cd) return;
    var ms = new Date(root.dataset.deadline).getTime() - Date.now();
    var over = ms < 0, m = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    var parts = (d ? d + cd.dataset.d + " " : "") + (d || h ? h + cd.dataset.h + " " : "") + mm + cd.dataset.m;
    cd.textContent = over ? cd.dataset.over + " " + parts : cd.dataset.left + " " + parts;
    cd.classList.toggle("bad", over);
  }
  tick();
  setInterval(tick, 30000);

  // Map: the point with a touch-sized marker, over its micro-grid.
  var data = JSON.parse(document.getElementById("incident-map-data").textContent);
  if (window.L) {
    var map = L.map("incident-map", {zoomControl: true, attributionControl: false});
    var grid = L.geoJSON(data.grid, {style: {color: "#1f4e79", weight: 2, fillOpacity: 0.05}});
    var c = data.point.geometry.coordinates;
    // The view first: Leaflet's vector renderer needs it before a layer is added.
    if (grid.getLayers().length) map.fitBounds(grid.getBounds(), {padding: [16, 16]});
    else map.setView([c[1], c[0]], 17);
    grid.addTo(map);
    L.circleMarker([c[1], c[0]], {radius: 12, color: "#fff", weight: 3, fillColor: "#d7191c", fillOpacity: 0.95}).addTo(map);
  }

  // Photo previews on the resolve form (resized before upload).
  document.querySelectorAll("input[type=file][name=photo]").forEach(function (input) {
    input.addEventListener("change", function () {
      var box = input.closest("form").querySelector(".previews");
      box.textContent = "";
      var max = parseInt(input.dataset.max || "5", 10);
      Array.prototype.slice.call(input.files, 0, max).forEach(function (f) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(f);
        img.alt = f.name;
        box.appendChild(img);
      });
    });
  });

  async function submit(form) {
    var kind = form.dataset.kind, note = form.querySelector("[name=note]");
    var button = form.querySelector("button[type=submit]");
    var url, body, label = button.textContent.trim();
    if (kind === "transition") {
      url = "/api/incidents/" + id + "/transition/";
      var fields = {to: form.dataset.to, note: note ? note.value : "", expect: root.dataset.status};
      var input = form.querySelector("input[type=file][name=photo]");
      if (input && input.files.length) {
        var max = parseInt(input.dataset.max || "5", 10), files = [];
        var list = Array.prototype.slice.call(input.files, 0, max);
        for (var n = 0; n < list.length; n++) {
          files.push({field: "photo", name: "after" + (n + 1) + ".jpg", blob: await geogridField.resize(list[n])});
        }
        body = {fields: fields, files: files};
      } else {
        body = fields;
      }
    } else if (kind === "escalate") {
      url = "/api/incidents/" + id + "/escalate/";
      var dep = form.querySelector("[name=department]");
      body = {note: note.value, expect_level: root.dataset.level, department: dep ? dep.value : ""};
    } else {
      url = "/api/incidents/" + id + "/escalation/";
      body = {action: form.dataset.action, note: note ? note.value : ""};
    }
    button.disabled = true;
    try {
      var res = await geogridField.send({method: "POST", url: url, body: body, label: label});
      if (res.status === "queued") {
        say(root.dataset.queued, "");
        return;
      }
      if (res.code >= 200 && res.code < 300) {
        location.reload();
        return;
      }
      var text = geogridField.errorText(res, String(res.code));
      if (res.code === 409) {
        // Someone else acted first: say so, then show the case as it is now.
        say(text, "bad");
        setTimeout(function () { location.reload(); }, 2500);
        return;
      }
      say(text, "bad");
    } catch (e) {
      say(root.dataset.failed, "bad");
    } finally {
      button.disabled = false;
    }
  }

  // The buttons come disabled: a tap before this script has bound the form would submit it natively
  // (a plain reload that does nothing). They work from here on.
  document.querySelectorAll("form.action-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      submit(form);
    });
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
})();
