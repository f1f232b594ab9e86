"""The offline field app, patrols and the residents' pages on a phone in real Chromium (390x844,
touch, geolocation granted): reports and visits made offline are stored once when the network
returns, also when the network drops after the server handled a request; refusals stay visible;
nothing sensitive lands in the device's caches; a patrol records positions only while it runs; a
resident reports, follows and rates once."""
import json
import time

import pytest
from django.test import Client

from layers.addresses.services import address_create
from layers.incidents.models import Incident, Photo
from layers.incidents.services import incident_transition
from layers.incidents.taxonomy import taxonomy_ensure
from layers.patrols.models import Patrol, PatrolPoint
from layers.residents.models import PublicReport
from layers.subjects.models import Visit
from layers.subjects.services import subject_create

G1 = "310106013001001"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "permissions": ["geolocation"]}
SUBJECT_PHONE, SUBJECT_ID_NUMBER = "13912345678", "310101199001011234"

# Elements wider than the screen, and main controls under 44 px.
MEASURE = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('main *')].filter(e => !e.closest('.leaflet-container'))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 0.5; })
    .map(e => e.tagName + '.' + e.className);
  const small = [...document.querySelectorAll('main button, main .button, main select, main textarea, main .candidate, ' +
                                               'main input:not([type=hidden]):not([type=radio])')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
    .filter(e => { const r = e.getBoundingClientRect(); return r.height < 43.5 || r.width < 43.5; })
    .map(e => e.tagName + '.' + e.className + ' ' + e.textContent.trim().slice(0, 20));
  return {scroll: document.documentElement.scrollWidth, width: w, wide, small};
}"""

# A JPEG made in the page (a camera photo stands in as a canvas drawing), as the report's photo.
SEND_REPORT = """async ([lon, lat, key]) => {
  const c = document.createElement('canvas'); c.width = 640; c.height = 480;
  const g = c.getContext('2d'); g.fillStyle = '#3a7'; g.fillRect(0, 0, 640, 480);
  g.fillStyle = '#fff'; g.fillRect(100, 100, 200, 120);
  const blob = await new Promise(r => c.toBlob(r, 'image/jpeg', 0.8));
  const res = await window.geogridQueue.send({method: 'POST', url: '/api/incidents/', key, label: '上报：垃圾满溢',
    body: {fields: {lon, lat, crs: 'wgs84', type: 'CA03', description: '离线上报的垃圾满溢', source: 'grid_patrol'},
           files: [{field: 'photo', name: 'scene.jpg', blob}]}});
  return res.status;
}"""
SEND_VISIT = """async ([subject, key]) => {
  const res = await window.geogridQueue.send({method: 'POST', url: '/api/visits/', key, label: '走访',
    body: {subject, date: '2026-03-02', kind: 'illness', notes: '住院探望'}});
  return res.status;
}"""


@pytest.fixture
def field(demo_grids, make_user):
    taxonomy_ensure()
    g = demo_grids[G1]
    p = g.geometry.point_on_surface
    address = address_create(full_text="静安区离线测试路1号", lon=p.x, lat=p.y, households=5)
    subject = subject_create(address=address, name="测试甲", category="ethnic_minority", phone=SUBJECT_PHONE,
                             id_number=SUBJECT_ID_NUMBER, ethnicity="回族")
    member = make_user("off-member", "grid_member", g, first_name="小明", last_name="王")
    head = make_user("off-head", "grid_head", g)
    return {"grid": g, "lon": round(p.x, 7), "lat": round(p.y, 7), "subject": subject, "member": member, "head": head}


def controlled_page(chromium, live_server, user, watch=True, **extra):
    """A phone page whose service worker is installed and controls it."""
    ctx = chromium.context(user, **PHONE, **extra)
    page = chromium.watch(ctx.new_page()) if watch else ctx.new_page()
    page.goto(live_server.url + "/outbox/")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#outbox[data-ready]")
    return ctx, page


def ours(description="离线上报的垃圾满溢"):
    return Incident.objects.filter(description=description)


def test_offline_report_with_photo_and_visit_are_stored_once_when_back_online(live_server, chromium, field):
    ctx, page = controlled_page(chromium, live_server, field["member"])
    ctx.set_offline(True)
    assert page.evaluate(SEND_REPORT, [field["lon"], field["lat"], "k-report-1"]) == "queued"
    assert page.evaluate(SEND_VISIT, [field["subject"].pk, "k-visit-1"]) == "queued"
    assert ours().count() == 0 and Visit.objects.filter(subject=field["subject"]).count() == 0
    # The outbox opens with no network (served by the worker) and shows both waiting.
    page.reload()
    page.wait_for_selector("#outbox[data-ready]")
    assert page.locator("li.item[data-status=queued]").count() == 2
    ctx.set_offline(False)
    page.wait_for_function("() => document.querySelectorAll('li.item[data-status=sent]').length === 2", timeout=20000)
    assert ours().count() == 1
    assert Photo.objects.filter(incident=ours().get()).count() == 1
    assert Visit.objects.filter(subject=field["subject"]).count() == 1
    assert "已发送" in page.inner_text("li.item[data-status=sent] .state")
    m = page.evaluate(MEASURE)
    assert m["scroll"] <= m["width"] and m["wide"] == [] and m["small"] == [], m


def test_a_dropped_answer_is_replayed_with_its_key_and_stores_nothing_twice(live_server, chromium, field):
    # Chromium logs each dropped request as a console error ("net::ERR_CONNECTION_RESET"): that one
    # is the point of this test; any other console error still fails it.
    ctx, page = controlled_page(chromium, live_server, field["member"], watch=False)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    handled = {"/api/incidents/": [], "/api/visits/": []}

    def drop_after_server(route):
        # The server takes the request and answers; the phone never hears it (signal lost).
        path = "/api/" + route.request.url.split("/api/", 1)[1]
        response = route.fetch()
        handled[path].append(response.status)
        if len(handled[path]) == 1:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    page.route("**/api/incidents/", drop_after_server)
    page.route("**/api/visits/", drop_after_server)
    for round_ in (1, 2):
        # Done twice: each round's items have their own keys; each is answered once on the server.
        handled = {"/api/incidents/": [], "/api/visits/": []}
        assert page.evaluate(SEND_REPORT, [field["lon"], field["lat"], f"k-drop-report-{round_}"]) == "queued"
        assert page.evaluate(SEND_VISIT, [field["subject"].pk, f"k-drop-visit-{round_}"]) == "queued"
        assert ours().count() == round_ and Visit.objects.filter(subject=field["subject"]).count() == round_
        # Sending the visit first re-sent the report (older items go first); what is left goes now.
        page.evaluate("window.geogridQueue.flush()")
        assert page.evaluate("window.geogridQueue.list().then(l => l.filter(i => i.status !== 'sent').length)") == 0
        assert handled == {"/api/incidents/": [201, 200], "/api/visits/": [201, 201]}
        assert ours().count() == round_ and Visit.objects.filter(subject=field["subject"]).count() == round_
    page.reload()
    page.wait_for_selector("#outbox[data-ready]")
    assert page.locator("li.item[data-status=sent]").count() == 4
    assert [e for e in errors if "ERR_CONNECTION_RESET" not in e] == [], errors
    assert len([e for e in errors if "ERR_CONNECTION_RESET" in e]) == 4


def test_a_send_that_a_flush_overtakes_still_answers_with_the_servers_reply(live_server, chromium, field):
    # A tap right after a page loads: the page-start flush already waits for the outbox lock, so it
    # takes the new item and sends it; the tap's own send must still hear the server's answer (the
    # incident page reloads on a 2xx, the report page opens the new case by its id).
    ctx, page = controlled_page(chromium, live_server, field["member"])
    got = page.evaluate("""async ([lon, lat]) => {
      let release;
      const held = navigator.locks.request('geogrid-outbox', () => new Promise(r => { release = r; }));
      while (!release) await new Promise(r => setTimeout(r, 10));
      const flushed = window.geogridQueue.flush();
      const sent = window.geogridQueue.send({method: 'POST', url: '/api/incidents/', key: 'k-overtaken', label: '上报',
        body: {lon, lat, crs: 'wgs84', type: 'CA03', description: '被抢先发送的上报', source: 'grid_patrol'}});
      // The item is on the device before the lock is let go, so the flush finds it.
      while (!(await window.geogridQueue.list()).some(i => i.key === 'k-overtaken')) await new Promise(r => setTimeout(r, 10));
      release();
      await held;
      const f = await flushed, res = await sent;
      return {flushSent: f.sent, status: res.status, code: res.response && res.response.status,
              id: res.response && res.response.data && res.response.data.id};
    }""", [field["lon"], field["lat"]])
    case = ours("被抢先发送的上报").get()
    assert got == {"flushSent": 1, "status": "sent", "code": 201, "id": case.pk}, got


def test_a_refusal_stays_in_the_outbox_with_its_reason(live_server, chromium, field):
    # Chromium logs the refused request (409) as a console error: expected here, nothing else is.
    ctx, page = controlled_page(chromium, live_server, field["member"], watch=False)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    patrol = Patrol.objects.create(member=field["member"], grid=field["grid"])
    ctx.set_offline(True)
    yesterday = int(time.time()) - 86400
    body = {"points": [[field["lon"], field["lat"], yesterday]]}
    status = page.evaluate("""([url, body]) => window.geogridQueue.send({url, body, label: '巡查轨迹'})
                              .then(r => r.status)""", [f"/api/patrols/{patrol.pk}/points/", body])
    assert status == "queued"
    ctx.set_offline(False)
    page.wait_for_selector("li.item[data-status=refused]", timeout=20000)
    reason = page.inner_text("li.item[data-status=refused] .reason")
    assert "不在巡查时间内" in reason, reason
    assert PatrolPoint.objects.filter(patrol=patrol).count() == 0
    # Still there after another round of sending and a reload: never dropped silently.
    page.evaluate("window.geogridQueue.flush()")
    page.reload()
    page.wait_for_selector("#outbox[data-ready]")
    assert page.locator("li.item[data-status=refused]").count() == 1
    assert errors and all("409" in e for e in errors), errors


def test_nothing_sensitive_is_kept_on_the_device(live_server, chromium, field):
    ctx, page = controlled_page(chromium, live_server, field["member"])
    for path in ("/queue/", "/visits/", "/subjects/", "/patrol/", "/report/"):
        page.goto(live_server.url + path)
    revealed = page.evaluate("""async (id) => {
      const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
      const r = await fetch('/api/subjects/' + id + '/reveal/', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}, body: JSON.stringify({fields: ['phone', 'id_number']})});
      const d = await r.json(); await fetch('/api/subjects/' + id + '/'); await fetch('/api/subjects/');
      return d.fields.phone;
    }""", field["subject"].pk)
    assert revealed == SUBJECT_PHONE
    page.evaluate(SEND_VISIT, [field["subject"].pk, "k-sens-visit"])
    stored = page.evaluate("""async () => {
      const out = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const req of await cache.keys()) {
          const res = await cache.match(req);
          out.push({cache: name, url: req.url, body: await res.clone().text()});
        }
      }
      const items = await window.geogridQueue.list();
      return {caches: out, outbox: JSON.stringify(items)};
    }""")
    urls = [c["url"] for c in stored["caches"]]
    assert any(u.endswith("/visits/") for u in urls) and any(u.endswith("/queue/") for u in urls)
    assert not [u for u in urls if "/subjects/" in u or "/reveal/" in u]
    for blob in [c["body"] for c in stored["caches"]] + [stored["outbox"]]:
        assert SUBJECT_PHONE not in blob and SUBJECT_ID_NUMBER not in blob and "回族" not in blob
    # The field pages last seen open with no network.
    ctx.set_offline(True)
    page.goto(live_server.url + "/visits/")
    assert "测试甲" in page.inner_text("main")


def test_a_patrol_records_positions_only_while_it_runs(live_server, chromium, field, settings):
    settings.GEOGRID_PATROL_INTERVAL_S = 1
    settings.GEOGRID_PATROL_SEND_S = 1
    lon, lat = field["lon"], field["lat"]
    ctx, page = controlled_page(chromium, live_server, field["member"], geolocation={"longitude": lon, "latitude": lat})
    page.goto(live_server.url + "/patrol/")
    page.wait_for_timeout(1500)  # a page with no patrol running must not watch the position
    assert Patrol.objects.filter(member=field["member"]).count() == 0
    page.click("[data-start]")
    page.wait_for_selector("[data-running]:not([hidden])")
    patrol = Patrol.objects.get(member=field["member"], ended_at__isnull=True)
    page.wait_for_function("() => Number(document.querySelector('[data-count]').textContent) >= 1", timeout=15000)
    for step in range(1, 5):
        # Positions are thinned to one per second here (the interval in seconds, as the phone keeps them).
        page.wait_for_timeout(1100)
        ctx.set_geolocation({"longitude": lon + step * 0.0002, "latitude": lat})
        page.wait_for_function(f"() => Number(document.querySelector('[data-count]').textContent) >= {step + 1}", timeout=15000)
    page.click("[data-end]")
    page.wait_for_selector("#patrol[data-ended]")
    page.wait_for_function("""async () => (await window.geogridQueue.list()).every(i => i.status === 'sent')""",
                           timeout=15000)
    patrol.refresh_from_db()
    assert patrol.ended_at is not None
    n = PatrolPoint.objects.filter(patrol=patrol).count()
    assert n >= 5 and patrol.distance_m > 60
    # Nothing is recorded after the end, however the phone moves.
    ctx.set_geolocation({"longitude": lon + 0.002, "latitude": lat})
    page.wait_for_timeout(2500)
    assert PatrolPoint.objects.filter(patrol=patrol).count() == n
    m = page.evaluate(MEASURE)
    assert m["scroll"] <= m["width"] and m["wide"] == [] and m["small"] == [], m
    # The grid head sees the member's track on the map.
    head = chromium.watch(chromium.context(field["head"], **PHONE).new_page())
    head.goto(live_server.url + "/patrols/map/")
    head.wait_for_selector("#patrol-map[data-tracks-shown='1']")
    assert "王小明" in head.inner_text("table.patrols")


def test_a_resident_reports_follows_and_rates_once(live_server, chromium, field):
    page = chromium.page(None, **PHONE, geolocation={"longitude": field["lon"], "latitude": field["lat"]})
    page.goto(live_server.url + "/public/report/")
    m = page.evaluate(MEASURE)
    assert m["scroll"] <= m["width"] and m["wide"] == [] and m["small"] == [], m
    page.select_option("select[name=category]", "CA")
    page.select_option("select[name=type]", "CA03")
    page.fill("textarea[name=description]", "小区门口垃圾桶满了")
    page.click("[data-locate]")
    page.wait_for_function("() => document.querySelector('input[name=lon]').value !== ''")
    page.click("[data-submit]")
    page.wait_for_selector("[data-done]:not([hidden])")
    code = page.inner_text("[data-code]").strip()
    report = PublicReport.objects.get(code=code)
    assert report.incident.source == "resident" and report.incident.grid.code == G1
    page.click("[data-track]")
    page.wait_for_selector("#public-track[data-loaded]")
    assert page.inner_text("[data-status-label]") == "已上报"
    assert page.locator("[data-rate]").is_hidden()
    for to in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        incident_transition(incident=report.incident, user=field["head"], to=to)
    page.reload()
    page.wait_for_selector("#public-track[data-loaded]")
    assert page.inner_text("[data-status-label]") == "已结案"
    page.check("input[name=score][value='4']")
    page.click("[data-rate] button[type=submit]")
    page.wait_for_selector("[data-rated]:not([hidden])")
    assert "4" in page.inner_text("[data-rated]") and page.locator("[data-rate]").is_hidden()
    # A second rating is refused (asked outside the page, which no longer offers the form).
    again = Client().post(f"/api/public/reports/{code}/rating/", {"score": 1}, content_type="application/json")
    assert again.status_code == 409 and "已评价" in again.json()["detail"]
    page.reload()
    page.wait_for_selector("#public-track[data-loaded]")
    assert page.locator("[data-rate]").is_hidden() and "4" in page.inner_text("[data-rated]")
    m = page.evaluate(MEASURE)
    assert m["scroll"] <= m["width"] and m["wide"] == [] and m["small"] == [], m


def test_the_app_is_installable(live_server, chromium, field):
    page = chromium.page(field["member"], **PHONE)
    page.goto(live_server.url + "/queue/")
    href = page.get_attribute("link[rel=manifest]", "href")
    manifest = json.loads(page.evaluate("(u) => fetch(u).then(r => r.text())", href))
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    page.evaluate("navigator.serviceWorker.ready")
    assert page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => r.scope)") == live_server.url + "/"
