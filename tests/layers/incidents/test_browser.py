"""The incidents page in real Chromium: offline, no console error, points drawn in my grid."""

from layers.incidents.services import incident_create, incident_transition
from layers.incidents.taxonomy import taxonomy_ensure

from tests.support import GRID_A, GRID_B


def test_incident_page_draws_my_incidents_offline(live_server, demo_grids, make_user, tmp_path, chromium):
    taxonomy_ensure()
    a, b = demo_grids[GRID_A].geometry.point_on_surface, demo_grids[GRID_B].geometry.point_on_surface
    head = make_user("head-a", "grid_head", demo_grids[GRID_A])
    incident_create(lon=a.x, lat=a.y, description="堆物一", type="CA01")
    second = incident_create(lon=a.x + 0.0001, lat=a.y, description="堆物二", type="CA01")
    incident_transition(incident=second, user=head, to="accepted")
    incident_create(lon=b.x, lat=b.y, description="邻居", type="CA01")
    page = chromium.page(head, viewport={"width": 1200, "height": 900})
    page.goto(live_server.url + "/incidents/")
    page.wait_for_selector("#incident-map[data-loaded]")
    assert page.get_attribute("#incident-map", "data-loaded") == "2"
    # One grid polygon and two incident markers (SVG paths), coloured by status.
    fills = page.eval_on_selector_all("path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))")
    assert len(fills) == 3 and {"#e66101", "#fdb863"} <= set(fills)
    assert page.locator(".incident-table tbody tr").count() == 2
    page.screenshot(path=str(tmp_path / "incidents.png"))
