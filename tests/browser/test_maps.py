"""Every map page in real Chromium: nothing leaves the server, no console error, and the
legend, layers and tooltips are there. Screenshots go to the test's tmp_path."""

import datetime as dt
import re

import pytest
from django.test import Client

from layers.staff.models import Role
from tests.support import STREET_CODE

RESIDENTIAL_AREA = "310106013008"  # holds the demo's planted incident cluster


@pytest.fixture
def demo_world(demo_grids):
    """The demo street with its staff and a year of incidents (live_server flushed the DB)."""
    from layers.incidents import demo as incidents_demo
    from layers.staff import demo as staff_demo

    staff_demo.load()
    incidents_demo.load()
    return demo_grids


def check_map_page(page, url, shot):
    page.goto(url)
    page.wait_for_selector(".leaflet-container")
    page.wait_for_selector(".geogrid-legend:not(.hidden)")
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-layers-selector").count() >= 1
    shapes = page.locator("path.leaflet-interactive")
    assert shapes.count() > 0
    # Hover polygons until one shows its tooltip (overlays may cover some).
    for i in range(min(shapes.count(), 12)):
        box = shapes.nth(i).bounding_box()
        if not box or box["width"] < 4:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        if page.locator(".leaflet-tooltip").count():
            break
    assert page.locator(".leaflet-tooltip").count() >= 1, f"no tooltip on {url}"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_every_map_page_is_offline_with_legend_layers_and_tooltips(live_server, demo_world, make_user,
                                                                   chromium, tmp_path):
    leader = make_user("浏览器领导", Role.STREET_LEADER, demo_world[STREET_CODE])
    head = make_user("浏览器网格长", Role.GRID_HEAD, demo_world[RESIDENTIAL_AREA])

    page = chromium.page(leader, locale="zh-CN")
    for name, path in [("coverage", "/maps/coverage/"),
                       ("coverage-open", "/maps/coverage/?metric=open_incidents&level=3"),
                       ("hotspots", "/maps/hotspots/?days=90"),
                       ("special", "/maps/special/")]:
        check_map_page(page, live_server.url + path, tmp_path / f"{name}.png")

    # Level switch in the map: choosing the other level swaps the visible legend.
    page.goto(live_server.url + "/maps/coverage/?metric=households&level=4")
    page.wait_for_selector(".geogrid-legend:not(.hidden)")
    before = page.locator(".geogrid-legend:not(.hidden)").inner_text()
    page.locator(".leaflet-control-layers-base input").first.check()
    after = page.locator(".geogrid-legend:not(.hidden)").inner_text()
    assert before != after and page.locator(".geogrid-legend:not(.hidden)").count() == 1

    # Hotspots: the planted cluster is in the table as a hot spot, with a heatmap canvas.
    page.goto(live_server.url + "/maps/hotspots/?days=90")
    assert page.locator("#hotspot-table tr[data-class^=hot]").count() >= 1
    assert page.locator("#hotspot-table tr[data-class^=cold]").count() >= 1
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1

    # The time slider moves the window's end back in weeks and re-renders the page for it.
    page.goto(live_server.url + "/maps/hotspots/?days=30")
    slider = page.locator("#until-slider")
    assert slider.get_attribute("value") == "0"
    with page.expect_navigation():
        slider.evaluate("""s => { s.value = "-10"; s.dispatchEvent(new Event("input"));
                                  s.dispatchEvent(new Event("change")); }""")
    until = (dt.date.fromisoformat(slider.get_attribute("data-today")) - dt.timedelta(weeks=10)).isoformat()
    assert f"until={until}" in page.url and "days=30" in page.url
    assert page.locator("#until-slider").get_attribute("value") == "-10"
    assert page.locator("#window-label").inner_text().endswith(until)
    page.wait_for_selector(".geogrid-legend:not(.hidden)")

    # Special grids: the demo religious site, business district and commercial street, each
    # with its figures in the table and in a Chinese tooltip.
    page.goto(live_server.url + "/maps/special/")
    for kind in ("religious_site", "business_district", "commercial_street"):
        assert page.locator(f"#special-table tr[data-kind={kind}]").count() >= 1
        assert page.locator(f"#special-table tr[data-kind={kind}] td[data-col=area_m2]").inner_text() != "–"
    special = page.locator("path.leaflet-interactive[stroke-dasharray]")
    assert special.count() == 3
    box = special.last.bounding_box()  # the religious site: smallest, drawn on top
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(".leaflet-tooltip").inner_text()
    assert "宗教活动场所" in tip and "户数" in tip and "面积" in tip

    head_page = chromium.page(head, locale="zh-CN")
    check_map_page(head_page, live_server.url + "/maps/grid/", tmp_path / "grid.png")
    # Off the map first: a grid polygon still under the mouse from the tooltip check wears the
    # black hover outline too, and would be taken for an overdue marker.
    head_page.mouse.move(0, 0)
    head_page.wait_for_function("() => !document.querySelector(\"path.leaflet-interactive[stroke='#000'][fill-opacity='0.15']\")")
    markers = head_page.locator("path.leaflet-interactive[stroke='#000']")
    assert markers.count() >= 1  # overdue incidents ringed in black
    markers.first.click(force=True)
    link = head_page.locator(".leaflet-popup a.incident-link")
    link.wait_for()
    assert link.get_attribute("href").startswith("/incidents/")


def test_png_and_pdf_exports_render_the_page_as_the_user(live_server, demo_grids, make_user, chromium, tmp_path):
    leader = make_user("导出领导", Role.STREET_LEADER, demo_grids[STREET_CODE])
    ctx = chromium.context(leader, locale="zh-CN")
    png = ctx.request.get(live_server.url + "/maps/special/?format=png", timeout=60_000)
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    assert png.body()[:8] == b"\x89PNG\r\n\x1a\n" and len(png.body()) > 20_000
    (tmp_path / "special-export.png").write_bytes(png.body())
    pdf = ctx.request.get(live_server.url + "/maps/coverage/?format=pdf&metric=households", timeout=60_000)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"
    # The map fits one A4 landscape page (a page with no table below it is a single page).
    assert re.findall(rb"/Count (\d+)", pdf.body()) == [b"1"]
    # Without a session the export is the login redirect, not a picture of someone else's map.
    anon = Client().get("/maps/special/?format=png")
    assert anon.status_code == 302


def test_admin_geometry_widget_draws_offline_with_vendored_openlayers(live_server, demo_grids, make_user, chromium):
    admin = make_user("地图管理员", is_staff=True, is_superuser=True)
    grid = demo_grids["310106013001001"]
    page = chromium.page(admin, locale="zh-CN")
    page.goto(f"{live_server.url}/admin/grids/grid/{grid.pk}/change/")
    page.wait_for_selector(".dj_map .ol-viewport")
    # The grid's boundary is on the map: OpenLayers drew it into its canvas.
    assert page.evaluate("typeof ol !== 'undefined' && typeof ol.Map === 'function'")
    assert page.locator(".dj_map canvas").count() >= 1
    assert "/static/vendor/ol/ol.js" in page.content()
