/* The patrol page: start, record the position while (and only while) a patrol runs, end.
   Positions come from watchPosition and are thinned on the phone: one every `interval` seconds,
   sooner (not under a third of it) after `step` metres. They go out in batches through the
   offline outbox (window.geogridQueue), each batch with its own Idempotency-Key. */
(function () {
  "use strict";
  var root = document.getElementById("patrol");
  var W = JSON.parse(document.getElementById("patrol-words").textContent);
  var INTERVAL = Number(root.dataset.interval) || 30, STEP = Number(root.dataset.step) || 25;
  var SEND = Number(root.dataset.send) || 60;
  var id = root.dataset.id ? Number(root.dataset.id) : null;
  var startedAt = root.dataset.started ? new Date(root.dataset.started) : null;
  var watch = null, timer = null, clock = null, buffer = [], last = null, count = 0;
  var $ = function (sel) { return root.querySelector(sel); };

  function message(text) { $("[data-message]").textContent = text || ""; }

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function key() {
    return window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
      : String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function metres(a, b) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }

  function onPosition(pos) {
    var p = [Number(pos.coords.longitude.toFixed(7)), Number(pos.coords.latitude.toFixed(7)),
             Math.floor(pos.timestamp / 1000)];
    $("[data-accuracy]").textContent = Math.round(pos.coords.accuracy) + " m";
    if (last) {
      var dt = p[2] - last[2];
      if (dt <= 0) return;
      if (dt < INTERVAL && !(metres(last, p) >= STEP && dt >= INTERVAL / 3)) return;
    }
    last = p;
    buffer.push(p);
    count += 1;
    $("[data-count]").textContent = String(count);
  }

  function send() {
    if (!id || !buffer.length || !window.geogridQueue) return Promise.resolve();
    var batch = buffer.splice(0, buffer.length);
    return window.geogridQueue.send({method: "POST", url: "/api/patrols/" + id + "/points/", body: {points: batch},
                                     key: key(), label: W.points.replace("%(n)s", batch.length)});
  }

  function tick() {
    if (!startedAt) return;
    var s = Math.max(0, Math.floor((Date.now() - startedAt.getTime()) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    $("[data-elapsed]").textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  }

  function running(on) {
    $("[data-idle]").hidden = on;
    $("[data-running]").hidden = !on;
    if (on) {
      $("[data-report]").href = "/report/?patrol=" + id;
      $("[data-started-at]").textContent = startedAt.toLocaleTimeString("zh-CN", {hour12: false});
      if (navigator.geolocation) {
        watch = navigator.geolocation.watchPosition(onPosition, function () { message(W.no_geo); },
                                                    {enableHighAccuracy: true, maximumAge: 5000, timeout: 60000});
      } else {
        message(W.no_geo);
      }
      timer = setInterval(send, SEND * 1000);
      clock = setInterval(tick, 1000);
      tick();
    } else {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      clearInterval(timer); clearInterval(clock);
      watch = timer = clock = null;
    }
  }

  $("[data-start]").addEventListener("click", async function () {
    var btn = this;
    btn.disabled = true;
    message("");
    try {
      var r = await fetch("/api/patrols/", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf(), "Idempotency-Key": key(), "Accept": "application/json"},
        body: "{}"});
      var data = await r.json();
      if (r.status === 201 || (r.status === 409 && data.open_patrol)) {
        id = data.id || data.open_patrol;
        startedAt = data.started_at ? new Date(data.started_at) : new Date();
        if (data.grid) $("[data-grid]").textContent = data.grid.name;
        running(true);
      } else {
        message(data.detail || ("HTTP " + r.status));
      }
    } catch (e) {
      message(W.need_network);
    } finally {
      btn.disabled = false;
    }
  });

  $("[data-end]").addEventListener("click", async function () {
    running(false);
    await send();
    var res = await window.geogridQueue.send({method: "POST", url: "/api/patrols/" + id + "/end/", body: {}, key: key(),
                                              label: root.querySelector("h1").textContent});
    message(res.status === "queued" ? W.queued : W.ended);
    root.dataset.ended = String(id);
    id = null; last = null; count = 0; startedAt = null;
  });

  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") send(); });
  if (id) running(true);
})();
