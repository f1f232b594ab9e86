"""The installable web app: manifest, service worker (served from the root so its scope is the
whole site), the outbox page and the page shown offline when a page was never seen.

These pages hold no server data: the outbox lives in the device's IndexedDB, so they need no
login and can be kept by the service worker for any user."""
import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# The shell kept on install, so the outbox and the offline page open with no network.
SHELL_STATIC = ["geogrid/site.css", "geogrid/offline.js", "vendor/idb/idb.umd.js", "offline/outbox.js", "offline/outbox.css",
                "geogrid/icons/icon-192.png"]


@cache
def _version() -> str:
    """Changes when offline.js or the worker's template change, so phones fetch a new worker."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for p in (here / "templates" / "offline" / "sw.js", Path(settings.BASE_DIR) / "static" / "geogrid" / "offline.js"):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


@require_GET
def manifest(request):
    body = {
        "name": _("geogrid grid governance"),
        "short_name": _("geogrid"),
        "description": _("Grid work in the street: queue, reports, visits and patrols, online or offline"),
        "lang": "zh-CN",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1f5f99",
        "icons": [{"src": static("geogrid/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": static("geogrid/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
                   "purpose": "any maskable"}],
    }
    response = JsonResponse(body, content_type="application/manifest+json",
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@never_cache
@require_GET
def service_worker(request):
    body = render_to_string("offline/sw.js", {
        "version": _version(),
        "workbox_sw": static("vendor/workbox/workbox-sw.js"),
        "workbox_prefix": static("vendor/workbox/workbox-sw.js").rsplit("/", 1)[0] + "/",
        "idb": static("vendor/idb/idb.umd.js"),
        "offline_js": static("geogrid/offline.js"),
        "shell": mark_safe(json.dumps(["/offline/", "/outbox/"] + [static(s) for s in SHELL_STATIC])),
    })
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


def outbox_page(request):
    words = {
        "queued": _("waiting to be sent"), "sending": _("sending"), "sent": _("sent"),
        "refused": _("refused by the server"), "retry": _("Send again"), "attempts": _("attempts"),
        "made": _("made"), "sent_at": _("sent"), "reason": _("reason"), "result": _("result"),
        "counts": _("%(queued)s waiting, %(refused)s refused, %(sent)s sent"),
        "no_storage": _("This browser cannot keep an outbox (IndexedDB is unavailable)."),
    }
    return render(request, "offline/outbox.html", {"words": words})


def offline_page(request):
    return render(request, "offline/offline.html")
