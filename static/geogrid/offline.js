/* geogrid offline field app: the outbox on the device and the service worker's registration.

   Runs in two places:
   - in every page (loaded from base.html): window.geogridQueue, and it registers /sw.js;
   - in the service worker (importScripts from /sw.js): self.geogridOutbox, to replay the outbox
     when the worker starts (Background Sync is missing in Safari, so nothing relies on it).

   geogridQueue.send({method, url, body, key, label}) -> Promise {status, response?, id}
     status "sent"    the server took it (2xx); response = {status, data}
            "queued"  kept in IndexedDB, sent when the network returns (online event, page start,
                      worker start, or the outbox page's button)
            "refused" the server said no (4xx other than 408/429): kept, visible on /outbox/ with the
                      reason, never dropped silently; response = {status, data}
   body: a plain object (JSON), a FormData, or {fields: {...}, files: [{field, name, blob}]}
   (multipart; photos as Blobs). Every item carries its own Idempotency-Key (given, or made here),
   sent on every attempt, so a replay never makes a second incident, visit or point.

   Nothing sensitive is kept: items hold what the user typed or photographed and, of the answer,
   only its id/ref/status. */
(function (global) {
  "use strict";

  var IN_WINDOW = typeof window !== "undefined" && typeof document !== "undefined";
  var DB_NAME = "geogrid-offline", STORE = "outbox", LOCK = "geogrid-outbox";
  var CHANNEL = "geogrid-outbox";
  var me = IN_WINDOW ? document.currentScript : null;
  var IDB_URL = me && me.dataset.idb;

  // ---- idb: the page loads the vendored UMD build next to this script; the worker imported it.
  var idbReady = (function () {
    if (global.idb) return Promise.resolve(global.idb);
    if (!IN_WINDOW || !IDB_URL) return Promise.reject(new Error("idb is not loaded"));
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = IDB_URL;
      s.onload = function () { resolve(global.idb); };
      s.onerror = function () { reject(new Error("idb failed to load")); };
      document.head.appendChild(s);
    });
  })();

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = idbReady.then(function (idb) {
        return idb.openDB(DB_NAME, 1, {
          upgrade: function (d) {
            var store = d.createObjectStore(STORE, {keyPath: "id", autoIncrement: true});
            store.createIndex("status", "status");
          }
        });
      });
    }
    return dbPromise;
  }

  function newKey() {
    var c = global.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfCookie() {
    if (!IN_WINDOW) return "";
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  // ---- bodies as IndexedDB can keep them (Blobs survive structured cloning).
  function storeBody(body) {
    if (typeof FormData !== "undefined" && body instanceof FormData) {
      var entries = [];
      body.forEach(function (v, k) {
        if (typeof Blob !== "undefined" && v instanceof Blob) entries.push([k, v, v.name || "photo.jpg"]);
        else entries.push([k, String(v)]);
      });
      return {kind: "form", entries: entries};
    }
    if (body && typeof body === "object" && body.fields && typeof body.fields === "object") {
      var list = [];
      Object.keys(body.fields).forEach(function (k) {
        var v = body.fields[k];
        if (v !== undefined && v !== null) list.push([k, String(v)]);
      });
      (body.files || []).forEach(function (f) { list.push([f.field || "photo", f.blob, f.name || "photo.jpg"]); });
      return {kind: "form", entries: list};
    }
    if (typeof body === "string") return {kind: "json", text: body};
    return {kind: "json", text: JSON.stringify(body || {})};
  }

  function requestBody(stored, headers) {
    if (stored.kind === "form") {
      var fd = new FormData();
      stored.entries.forEach(function (e) {
        if (e.length > 2) fd.append(e[0], e[1], e[2]); else fd.append(e[0], e[1]);
      });
      return fd;
    }
    headers["Content-Type"] = "application/json";
    return stored.text;
  }

  function summary(data) {
    // Of the answer, keep only what identifies the result: never personal detail.
    if (!data || typeof data !== "object") return null;
    var out = {};
    ["id", "ref", "status", "added", "points", "code"].forEach(function (k) {
      if (data[k] !== undefined && typeof data[k] !== "object") out[k] = data[k];
    });
    return out;
  }

  function reasonOf(data, code) {
    if (data && typeof data === "object") {
      if (data.detail) return String(data.detail);
      var parts = [];
      Object.keys(data).forEach(function (f) { parts.push(f + ": " + [].concat(data[f]).join(" ")); });
      if (parts.length) return parts.join("; ");
    }
    return "HTTP " + code;
  }

  var channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(CHANNEL) : null;
  function changed() { if (channel) channel.postMessage({type: "changed"}); }

  function withLock(fn) {
    var locks = global.navigator && global.navigator.locks;
    if (locks && typeof locks.request === "function") return locks.request(LOCK, fn);
    return fn();
  }

  async function put(item) {
    var d = await db();
    item.updated = Date.now();
    var id = await d.put(STORE, item);
    changed();
    return id;
  }

  // One attempt. Returns {outcome: "sent"|"refused"|"network"|"retry", response}.
  async function attempt(item) {
    var headers = {"Idempotency-Key": item.key, "Accept": "application/json", "X-Requested-With": "XMLHttpRequest"};
    var token = csrfCookie() || item.csrf || "";
    if (token) headers["X-CSRFToken"] = token;
    item.status = "sending";
    item.attempts = (item.attempts || 0) + 1;
    await put(item);
    var r;
    try {
      r = await fetch(item.url, {method: item.method, headers: headers, body: requestBody(item.body, headers),
                                 credentials: "same-origin", redirect: "manual"});
    } catch (e) {
      item.status = "queued";
      item.reason = "";
      item.lastError = "network";
      await put(item);
      return {outcome: "network"};
    }
    var data = null;
    try { data = await r.clone().json(); } catch (e) { data = null; }
    item.httpStatus = r.status;
    if (r.status >= 200 && r.status < 300) {
      item.status = "sent";
      item.reason = "";
      item.result = summary(data);
      item.sentAt = Date.now();
      await put(item);
      return {outcome: "sent", response: {status: r.status, data: data}};
    }
    if (r.type === "opaqueredirect" || r.status === 0 || r.status === 408 || r.status === 429 || r.status >= 500) {
      // The server could not take it now (or the session is gone): keep it for the next try.
      item.status = "queued";
      item.reason = r.status ? reasonOf(data, r.status) : "";
      await put(item);
      return {outcome: "retry", response: {status: r.status, data: data}};
    }
    item.status = "refused";
    item.reason = reasonOf(data, r.status);
    await put(item);
    return {outcome: "refused", response: {status: r.status, data: data}};
  }

  async function pending() {
    var d = await db();
    var all = await d.getAll(STORE);
    // An item left "sending" by a closed page or a killed worker goes out again (same key).
    return all.filter(function (i) { return i.status === "queued" || i.status === "sending"; })
      .sort(function (a, b) { return a.id - b.id; });
  }

  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    flushing = withLock(async function () {
      var sent = 0, refused = 0, left = 0;
      var items = await pending();
      for (var n = 0; n < items.length; n++) {
        var res = await attempt(items[n]);
        if (res.outcome === "sent") sent++;
        else if (res.outcome === "refused") refused++;
        else { left = items.length - n; break; }  // no network: keep the order, try later
      }
      return {sent: sent, refused: refused, left: left};
    }).finally(function () { flushing = null; });
    return flushing;
  }

  async function send(opts) {
    if (!opts || !opts.url) throw new Error("geogridQueue.send needs a url");
    var item = {key: opts.key || newKey(), method: (opts.method || "POST").toUpperCase(), url: opts.url,
                label: opts.label || "", body: storeBody(opts.body), csrf: csrfCookie(), status: "queued",
                attempts: 0, created: Date.now()};
    item.id = await put(item);
    if (global.navigator && global.navigator.onLine === false) return {status: "queued", id: item.id, key: item.key};
    // Items queued earlier go first, so the server sees them in the order they were made.
    var res = await withLock(async function () {
      var d = await db();
      var earlier = (await pending()).filter(function (i) { return i.id < item.id; });
      for (var n = 0; n < earlier.length; n++) {
        var e = await attempt(earlier[n]);
        if (e.outcome === "network" || e.outcome === "retry") return {outcome: "network"};
      }
      var fresh = await d.get(STORE, item.id);
      if (!fresh || (fresh.status !== "queued" && fresh.status !== "sending")) {
        // A flush (page start, the online event, the worker) took the lock first and sent this item
        // itself: answer with what the server said then, not with an empty "sent" the page cannot read.
        if (fresh && fresh.status === "sent") {
          return {outcome: "sent", response: {status: fresh.httpStatus || 200, data: fresh.result}};
        }
        if (fresh && fresh.status === "refused") {
          return {outcome: "refused", response: {status: fresh.httpStatus, data: {detail: fresh.reason}}};
        }
        return {outcome: "network"};
      }
      return attempt(fresh);
    });
    if (res.outcome === "sent") return {status: "sent", response: res.response, id: item.id, key: item.key};
    if (res.outcome === "refused") return {status: "refused", response: res.response, id: item.id, key: item.key};
    return {status: "queued", id: item.id, key: item.key};
  }

  async function list() {
    var d = await db();
    return (await d.getAll(STORE)).sort(function (a, b) { return b.id - a.id; });
  }

  async function retry(id) {
    // A refused item sent again as it is (same key): e.g. after the case was moved back.
    var d = await db();
    var item = await d.get(STORE, id);
    if (item && item.status === "refused") {
      item.status = "queued";
      await put(item);
    }
    return flush();
  }

  async function clearSent() {
    var d = await db();
    var all = await d.getAll(STORE);
    for (var n = 0; n < all.length; n++) if (all[n].status === "sent") await d.delete(STORE, all[n].id);
    changed();
  }

  var api = {send: send, flush: flush, list: list, retry: retry, clearSent: clearSent, channel: CHANNEL};

  if (!IN_WINDOW) {
    global.geogridOutbox = api;
    return;
  }
  global.geogridQueue = api;

  // ---- page side: replay on start and when the network returns; register the worker.
  global.addEventListener("online", function () { flush(); });
  function start() {
    if (global.navigator.onLine !== false) flush();
    var swUrl = me && me.dataset.sw;
    if (swUrl && "serviceWorker" in global.navigator) {
      global.navigator.serviceWorker.register(swUrl, {scope: "/"}).catch(function () { /* no worker: pages still work online */ });
    }
    // Pages kept for offline use belong to whoever is logged in: forget them on log-out.
    document.querySelectorAll("form[action$='/accounts/logout/']").forEach(function (f) {
      f.addEventListener("submit", function () {
        if (global.caches) { global.caches.delete("geogrid-pages"); global.caches.delete("geogrid-data"); }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(typeof self !== "undefined" ? self : this);
