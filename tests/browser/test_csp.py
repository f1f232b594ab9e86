"""Every page under the CSP in real Chromium: the policy allows no inline script without the
response's nonce ('unsafe-inline' is gone from script-src), and no page breaks it. Each page
route is opened as the first of several users who gets it as HTML; a `securitypolicyviolation`
listener installed before any page script runs records every refusal, and the chromium fixture
fails on any console error (Chromium logs each refused script there too)."""
import re

from django.test import Client

from layers.incidents.services import incident_create
from layers.staff.models import Role

from tests.support import COMMUNITY, GRID_A, STREET_CODE
from tests.urlwalk import walk

# Routes that are not pages a person reads (a manifest, the worker, health, POST-only, JSON).
NOT_PAGES = {"healthz", "logout", "set_language", "manifest", "service-worker", "import-run", "import-status"}
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _page_routes():
    for name, route, _pattern in walk():
        if name and not route.startswith(("api/", "ogc/", "tiles/", "admin/", "open311/")) and name not in NOT_PAGES:
            yield name, route


def test_no_page_breaks_the_csp(live_server, demo_grids, make_user, taxonomy, inside, chromium):
    lon, lat = inside(GRID_A)
    incident = incident_create(lon=lon, lat=lat, description="楼道堆物", type="CA01")
    users = {
        "head": make_user("csp-head", Role.GRID_HEAD, demo_grids[GRID_A]),
        "leader": make_user("csp-leader", Role.STREET_LEADER, demo_grids[STREET_CODE]),
        "planner": make_user("csp-planner", Role.PLANNER, demo_grids[COMMUNITY]),
        "admin": make_user("csp-admin", is_superuser=True, is_staff=True),
        "anonymous": None,
    }
    pages = {name: "/" + re.sub(r"<(?:\w+:)?pk>", str(incident.pk), route) for name, route in _page_routes()}
    pages["admin:index"] = "/admin/"
    loaded, violations = {}, []
    contexts = {}
    for name, url in pages.items():
        for who, user in users.items():
            c = Client()
            if user is not None:
                c.force_login(user)
            r = c.get(url)
            if r.status_code != 200 or not r["Content-Type"].startswith("text/html"):
                continue
            csp = r["Content-Security-Policy"]
            script_src = re.search(r"script-src([^;]*)", csp).group(1)
            assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src, (url, csp)
            if who not in contexts:
                ctx = chromium.context(user, viewport={"width": 390, "height": 844}, locale="zh-CN")
                ctx.add_init_script(LISTEN)
                contexts[who] = chromium.watch(ctx.new_page())
            page = contexts[who]
            page.goto(live_server.url + url, wait_until="load")
            page.wait_for_timeout(300)  # deferred scripts and map scripts run after load
            found = page.evaluate("() => window.__csp")
            violations += [f"{url} as {who}: {v}" for v in found]
            loaded[name] = who
            break
    assert violations == [], violations
    # Every page was reached by one of the users (a route nobody opened was not checked); only
    # detail pages of objects this test does not make (an import job, a meeting) are left out.
    with_pk = {name for name, route in _page_routes() if "<" in route} - {"incident-page-detail"}
    assert set(pages) - set(loaded) <= with_pk, set(pages) - set(loaded)
    assert {"home", "login", "field-report", "incident-page-detail", "maps:coverage", "maps:special", "overview-page",
            "planner", "public-report", "admin:index"} <= set(loaded)
