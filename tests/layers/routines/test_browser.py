"""The meeting pages in real Chromium on a phone (390x844), in Chinese, offline: a station chief
schedules the monthly meeting, reads the drafted agenda, records a decision as an incident; the
ledger page as the grid head sees it."""
from layers.routines.models import Meeting

from tests.support import COMMUNITY, GRID_A

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_chief_runs_a_meeting_on_a_phone(routine_world, live_server, chromium, tmp_path):
    w, g = routine_world, routine_world["grids"]
    page = chromium.page(w["users"]["chief"], **PHONE)
    page.goto(live_server.url + "/meetings/")
    page.select_option("select[name=grid]", str(g[COMMUNITY].pk))
    page.select_option("select[name=kind]", "monthly")
    page.fill("input[name=date]", "2026-03-02")
    with page.expect_navigation():
        page.click("#schedule button[type=submit]")
    meeting = Meeting.objects.get(grid=g[COMMUNITY])
    assert page.url.endswith(f"/meetings/{meeting.pk}/")
    overdue = page.locator(f"[data-section=overdue_incidents] li[data-id='{w['overdue'].pk}']")
    assert overdue.count() == 1 and w["overdue"].ref in overdue.inner_text()
    assert page.locator("[data-section=patrols] li").count() == 2
    assert no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "meeting-agenda.png"), full_page=True)

    page.fill("#decision-form textarea[name=text]", "清理3号楼楼道堆物")
    page.check("#decision-form input[name=kind][value=incident]")
    page.select_option("#decision-form select[name=type]", "CA01")
    page.select_option("#decision-form select[name=place_grid]", str(g[GRID_A].pk))
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    item = page.locator("#decisions li[data-kind=incident]")
    assert item.count() == 1
    decision = meeting.decisions.get()
    assert decision.incident.ref in item.inner_text()
    page.locator("#decisions").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "meeting-decisions.png"))
    page.goto(live_server.url + f"/meetings/{meeting.pk}/print/")
    page.screenshot(path=str(tmp_path / "meeting-print.png"), full_page=True)


def test_grid_head_reads_the_ledger_on_a_phone(routine_world, live_server, chromium, tmp_path):
    w, g = routine_world, routine_world["grids"]
    page = chromium.page(w["users"]["head"], **PHONE)
    page.goto(live_server.url + f"/ledgers/?grid={g[GRID_A].pk}&month=2026-02")
    assert page.locator("[data-figure=patrols] b").inner_text() == "2"
    assert page.locator("[data-figure=received] b").inner_text() == "2"
    assert page.get_attribute("#ledger-xlsx", "href").endswith("format=xlsx")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "ledger.png"), full_page=True)
