"""The overview page in real Chromium, as a street leader on a desktop: the table and the map
show the same grids, sorting and filters work, the export links carry the filters."""
import pytest

from layers.staff.models import Role

pytestmark = pytest.mark.django_db(transaction=True)
STREET = "310106013000"


def test_leader_sorts_filters_and_exports_on_the_overview_page(chromium, demo_grids, make_user, tmp_path):
    from layers.staff import demo as staff_demo

    staff_demo.load()
    leader = make_user("ov-page-leader", Role.STREET_LEADER, demo_grids[STREET])
    page = chromium.page(leader)
    page.goto(chromium.url + "/overview/")
    page.wait_for_selector("#ov-table tbody tr[data-grid]")
    rows = page.locator("#ov-table tbody tr[data-grid]")
    assert rows.count() == 37
    page.wait_for_selector("#ov-map path.leaflet-interactive")
    assert page.locator("#ov-map path.leaflet-interactive").count() == 37

    page.click("th[data-sort=households_per_staff]")  # numbers sort high to low first
    values = [t.strip() for t in page.locator("#ov-table tbody tr[data-grid] td:nth-child(5)").all_inner_texts()]
    numbers = [float(v) for v in values if v != "–"]
    assert numbers == sorted(numbers, reverse=True)
    assert page.locator("th[data-sort=households_per_staff].sorted-desc").count() == 1

    page.fill("input[name=q]", "310106013001")
    page.wait_for_function("() => document.querySelectorAll('#ov-table tbody tr[data-grid]').length < 37")
    codes = page.locator("#ov-table tbody tr[data-grid] td:nth-child(1)").all_inner_texts()
    assert codes and all(c.startswith("310106013001") for c in codes)
    assert page.locator("#ov-map path.leaflet-interactive").count() == len(codes)
    href = page.get_attribute("#ov-xlsx", "href")
    assert "format=xlsx" in href and "q=310106013001" in href and "sort=households_per_staff" in href
    resp = page.request.get(chromium.url + href)
    assert resp.status == 200 and resp.headers["content-type"].startswith("application/vnd.openxml")
    page.screenshot(path=str(tmp_path / "overview.png"))
