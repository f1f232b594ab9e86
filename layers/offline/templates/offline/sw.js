/* geogrid service worker (served by layers/offline/views.py from /sw.js, scope /). Version {{ version }}.
   Workbox 7 and idb 8 are vendored from npm (static/vendor/), never loaded from a CDN.

   What is kept on the device, and what never is:
   - the shell (outbox, offline page, styles, scripts) on install;
   - the field pages last seen (queue, report, visits, patrol, an incident page, my grid), network
     first, so they open with no network;
   - a few data answers the field pages read (visits due, incident types, my patrols);
   - NEVER: subject lists or details (they carry masked sensitive fields), reveal answers, public
     report lookups, anything under /admin/ or /accounts/, any non-GET request. */
importScripts("{{ workbox_sw }}");
workbox.setConfig({modulePathPrefix: "{{ workbox_prefix }}", debug: false});
importScripts("{{ idb }}", "{{ offline_js }}");

var VERSION = "{{ version }}";
var SHELL_CACHE = "geogrid-shell-" + VERSION;
var SHELL = {{ shell }};

var routing = workbox.routing, strategies = workbox.strategies;
var CacheableResponsePlugin = workbox.cacheableResponse.CacheableResponsePlugin;
var ExpirationPlugin = workbox.expiration.ExpirationPlugin;

// A page answered with the login page (session gone) must not be kept under the page's name.
var notRedirected = {cacheWillUpdate: async function (args) { return args.response.redirected ? null : args.response; }};

var PAGES = [/^\/$/, /^\/queue\/$/, /^\/report\/$/, /^\/visits\/$/, /^\/patrol\/$/, /^\/patrols\/map\/$/,
             /^\/incidents\/\d+\/$/, /^\/maps\/grid\/$/, /^\/outbox\/$/, /^\/offline\/$/,
             /^\/public\/report\/$/, /^\/service-card\/$/];
var DATA = [/^\/api\/visits\/due\/$/, /^\/api\/incidents\/types\/$/, /^\/api\/patrols\/$/];
var NEVER = [/^\/api\/subjects\//, /\/reveal\//, /^\/api\/public\//, /^\/admin\//, /^\/accounts\//, /^\/subjects\//];

function allowed(url, list) {
  if (url.origin !== self.location.origin) return false;
  if (NEVER.some(function (r) { return r.test(url.pathname); })) return false;
  return list.some(function (r) { return r.test(url.pathname); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (c) { return c.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("geogrid-shell-") === 0 && k !== SHELL_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

routing.registerRoute(function (o) { return o.request.mode === "navigate" && allowed(o.url, PAGES); },
  new strategies.NetworkFirst({
    cacheName: "geogrid-pages", networkTimeoutSeconds: 6, matchOptions: {ignoreSearch: true},
    plugins: [notRedirected, new CacheableResponsePlugin({statuses: [200]}),
              new ExpirationPlugin({maxEntries: 60, maxAgeSeconds: 14 * 24 * 3600})]
  }));

routing.registerRoute(function (o) { return o.request.method === "GET" && o.request.mode !== "navigate" && allowed(o.url, DATA); },
  new strategies.NetworkFirst({
    cacheName: "geogrid-data", networkTimeoutSeconds: 6,
    plugins: [notRedirected, new CacheableResponsePlugin({statuses: [200]}),
              new ExpirationPlugin({maxEntries: 60, maxAgeSeconds: 14 * 24 * 3600})]
  }));

routing.registerRoute(function (o) { return o.url.origin === self.location.origin && o.url.pathname.indexOf("/static/") === 0; },
  new strategies.StaleWhileRevalidate({
    cacheName: "geogrid-static",
    plugins: [new CacheableResponsePlugin({statuses: [200]}), new ExpirationPlugin({maxEntries: 200})]
  }));

// No network and no page kept: the shell's copy (outbox, offline page, kept on install), else the
// offline page, which links to the outbox.
routing.setCatchHandler(async function (o) {
  if (o.request.mode === "navigate") {
    var shell = await caches.open(SHELL_CACHE);
    return (await shell.match(new URL(o.request.url).pathname)) || (await shell.match("/offline/")) || Response.error();
  }
  return Response.error();
});

// Replay the outbox when the worker starts and when a page asks (no Background Sync reliance).
self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "flush") event.waitUntil(self.geogridOutbox.flush());
});
self.geogridOutbox.flush().catch(function () { /* the next start tries again */ });
