"""The field pages on a phone in real Chromium (390x844, touch, geolocation granted): a grid head
works a case from the queue to its resolution with an after-photo; a member of another grid gets
404; no page is wider than the screen and the main controls are thumb-sized."""
import io

from django.contrib.auth import get_user_model
from PIL import Image

from layers.incidents.models import Incident, Status
from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure

GRID_A = "310106013001001"
GRID_B = "310106013001002"

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "permissions": ["geolocation"]}

# Widest element edge and the main controls smaller than 44 px (Leaflet's own panes are clipped
# by the map box, so they are measured by the page's scroll width, not one by one).
MEASURE = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => !e.closest('.leaflet-container'))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 0.5; })
    .map(e => e.tagName + '.' + e.className);
  const controls = [...document.querySelectorAll(
      'main button, main .button, main select, main textarea, main summary.button, main label.choice, ' +
      'main input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not(.visually-hidden), ' +
      '.topbar .navbutton')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  const small = controls.filter(e => { const r = e.getBoundingClientRect(); return r.height < 43.5 || r.width < 43.5; })
    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + 'x' +
              Math.round(e.getBoundingClientRect().height));
  const fonts = [...document.querySelectorAll('main p, main li, main label, main dd')]
    .filter(e => e.getBoundingClientRect().width > 0)
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  return {scroll: document.documentElement.scrollWidth, width: w, wide, small, controls: controls.length,
          minFont: Math.min(...fonts)};
}"""


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _check_fits(page, path):
    m = page.evaluate(MEASURE)
    assert m["scroll"] <= m["width"], f"{path} scrolls sideways: {m}"
    assert m["wide"] == [], f"{path}: elements wider than the screen: {m['wide']}"
    assert m["controls"] > 0 and m["small"] == [], f"{path}: controls under 44 px: {m['small']}"
    assert m["minFont"] >= 14, f"{path}: text under 14 px"


def test_grid_head_works_a_case_from_the_queue_to_resolved_on_a_phone(live_server, demo_grids, make_user, chromium,
                                                                      tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    taxonomy_ensure()
    a = demo_grids[GRID_A].geometry.point_on_surface
    head = make_user("head-a", "grid_head", demo_grids[GRID_A], first_name="宇晓", last_name="何")
    other = make_user("member-b", "grid_member", demo_grids[GRID_B])
    case = incident_create(lon=a.x, lat=a.y, description="楼道堆物，影响通行", type="CA01", source="resident")

    page = chromium.page(head, geolocation={"latitude": a.y, "longitude": a.x, "accuracy": 15}, **PHONE)
    page.goto(live_server.url + "/")
    assert page.url.endswith("/queue/")
    card = page.locator(f".queue-item[data-id='{case.pk}']")
    card.wait_for()
    assert page.locator(".topbar .navbutton .badge").inner_text() == "1"
    assert "何宇晓" in page.locator(".topbar .who").inner_text()
    _check_fits(page, "/queue/")
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

    card.click()
    page.wait_for_url(f"**/incidents/{case.pk}/")
    page.wait_for_selector("#incident-map .leaflet-interactive")
    _check_fits(page, "incident page")
    # Exactly what the workflow allows a grid head on a reported case: accept or reject (and escalate).
    shown = page.eval_on_selector_all("#actions [data-action]", "els => els.map(e => e.dataset.action)")
    assert shown == ["accepted", "rejected", "escalate"]

    for action, status in (("accepted", Status.ACCEPTED), ("dispatched", Status.DISPATCHED),
                           ("in_progress", Status.IN_PROGRESS)):
        page.locator(f"button[data-action='{action}']").tap()
        page.wait_for_selector(f"#incident[data-status='{status}']")
    page.locator("summary[data-action='resolved']").tap()
    form = page.locator("form[data-to='resolved']")
    form.locator("textarea[name=note]").fill("已清理堆物，楼道畅通")
    form.locator("input[type=file]").set_input_files([{"name": "after.png", "mimeType": "image/png", "buffer": _png()}])
    form.locator("button[type=submit]").tap()
    page.wait_for_selector(f"#incident[data-status='{Status.RESOLVED}']")
    page.screenshot(path=str(tmp_path / "resolved.png"), full_page=True)

    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    photo = case.photos.get()
    # Shrunk in the browser before upload (1200 px wide in, at most 1600 px kept, re-encoded as JPEG).
    assert photo.width == 1200
    resolved = case.events.get(to_status=Status.RESOLVED)
    assert resolved.note == "已清理堆物，楼道畅通" and resolved.data["photos"] == [photo.pk]
    assert page.locator("#photos .photo.after").count() == 1
    assert [e.to_status for e in case.events.filter(kind="transition")] == ["accepted", "dispatched", "in_progress",
                                                                             "resolved"]

    # The other pages of the day fit the phone too.
    for path in ("/report/", "/visits/", "/incidents/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        _check_fits(page, path)
    page.goto(live_server.url + "/report/")
    page.wait_for_selector("#grid-found.ok")
    assert GRID_A in page.inner_text("#grid-found")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

    # A member of another grid: the page does not exist for them.
    stranger = chromium.page(other, **PHONE)
    response = stranger.goto(live_server.url + f"/incidents/{case.pk}/")
    assert response.status == 404
    assert "不在您负责的网格范围内" in stranger.inner_text("main")
    _check_fits(stranger, "404")
    # The browser logs the 404 of the document itself; that one is the point of this step.
    expected = [e for e in chromium.errors if f"/incidents/{case.pk}/" in e and "404" in e]
    assert len(expected) == 1
    chromium.errors.remove(expected[0])
    assert Incident.objects.filter(pk=case.pk, status=Status.RESOLVED).count() == 1
    assert get_user_model().objects.filter(username="member-b").exists()


def test_report_page_files_a_case_with_a_photo_at_the_phone_position(live_server, demo_grids, make_user, chromium,
                                                                     tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    taxonomy_ensure()
    a = demo_grids[GRID_A].geometry.point_on_surface
    head = make_user("head-r", "grid_head", demo_grids[GRID_A])
    page = chromium.page(head, geolocation={"latitude": a.y, "longitude": a.x, "accuracy": 20}, **PHONE)
    page.goto(live_server.url + "/report/")
    page.wait_for_selector("#grid-found.ok")
    assert "±20" in page.inner_text("#accuracy")
    page.fill("#type-search", "CA01")
    page.locator(".type-picker label.choice:not([hidden])").first.tap()
    page.fill("textarea[name=description]", "路灯不亮")
    page.set_input_files("#photo-pick", [{"name": "a.png", "mimeType": "image/png", "buffer": _png()}])
    page.wait_for_selector("#previews img")
    page.locator("#send-report").tap()
    page.wait_for_url("**/incidents/*/")
    made = Incident.objects.get(description="路灯不亮")
    assert made.grid.code == GRID_A and made.reporter == head and made.photos.count() == 1
    assert made.type.code == "CA01"
