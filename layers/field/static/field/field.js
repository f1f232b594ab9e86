/* Shared by the field pages: one way to send a write.
   Every submission carries its own Idempotency-Key, made here. When the offline queue
   (static/geogrid/offline.js, window.geogridQueue) is on the page, the write goes through it
   and may be queued on the device; otherwise it is a plain fetch.
   Bodies: a plain object (sent as JSON) or {fields: {...}, files: [{field, name, blob}]}
   (sent as multipart form data). Resolves to {status: "sent", code, data} or {status: "queued"}. */
(function () {
  "use strict";

  function key() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // Fallback for browsers without randomUUID (older WebViews, plain-http hosts): RFC 4122 v4 from getRandomValues.
    var b = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  function isMultipart(body) { return body && typeof body === "object" && body.fields && typeof body.fields === "object"; }

  function toFormData(body) {
    var fd = new FormData();
    Object.keys(body.fields).forEach(function (k) {
      var v = body.fields[k];
      if (v !== undefined && v !== null) fd.append(k, v);
    });
    (body.files || []).forEach(function (f) { fd.append(f.field || "photo", f.blob, f.name || "photo.jpg"); });
    return fd;
  }

  async function readResponse(r) {
    // A fetch Response, or an already-read answer {status|code, data|body} from the offline queue.
    if (!r) return {code: 0, data: null};
    if (typeof r.json === "function") {
      var data = null;
      try { data = await r.clone().json(); } catch (e) { data = null; }
      return {code: r.status, data: data};
    }
    return {code: r.status || r.code || 200, data: r.data !== undefined ? r.data : (r.body !== undefined ? r.body : r)};
  }

  async function send(opts) {
    var k = opts.key || key();
    if (window.geogridQueue && typeof window.geogridQueue.send === "function") {
      var res = await window.geogridQueue.send({method: opts.method || "POST", url: opts.url, body: opts.body,
                                                key: k, label: opts.label || ""});
      if (res && res.status === "queued") return {status: "queued", key: k};
      var got = await readResponse(res && res.response);
      return {status: "sent", code: got.code, data: got.data, key: k};
    }
    var headers = {"X-CSRFToken": csrf(), "Idempotency-Key": k, "Accept": "application/json"};
    var payload;
    if (isMultipart(opts.body)) {
      payload = toFormData(opts.body);
    } else {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(opts.body || {});
    }
    var r = await fetch(opts.url, {method: opts.method || "POST", headers: headers, body: payload,
                                   credentials: "same-origin"});
    var got2 = await readResponse(r);
    return {status: "sent", code: got2.code, data: got2.data, key: k};
  }

  function errorText(result, fallback) {
    var d = result && result.data;
    if (d && typeof d === "object") {
      if (d.detail) return String(d.detail);
      var parts = [];
      Object.keys(d).forEach(function (f) { parts.push(f + ": " + [].concat(d[f]).join(" ")); });
      if (parts.length) return parts.join("; ");
    }
    return fallback;
  }

  // Phone photos are 3-12 MB; the server keeps at most 2560 px anyway. Shrinking on the phone
  // (canvas, JPEG) makes an upload over a weak signal a few hundred kB.
  var MAX_SIDE = 1600, QUALITY = 0.82;

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("image")); };
      img.src = url;
    });
  }

  async function resize(file, maxSide) {
    maxSide = maxSide || MAX_SIDE;
    var img = await loadImage(file);  // browsers apply the EXIF orientation when drawing
    var w = img.naturalWidth, h = img.naturalHeight;
    var scale = Math.min(1, maxSide / Math.max(w, h));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(w * scale));
    canvas.height = Math.max(1, Math.round(h * scale));
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise(function (resolve, reject) {
      canvas.toBlob(function (b) { if (b) resolve(b); else reject(new Error("toBlob")); }, "image/jpeg", QUALITY);
    });
  }

  window.geogridField = {key: key, send: send, errorText: errorText, csrf: csrf, resize: resize};
})();
