"""Map pages and the hotspot API against the demo street (real PostGIS)."""
import re

import pytest

from layers.staff.models import Role
from tests.conftest import STREET_CODE

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")


@pytest.fixture
def leader(make_user, demo_grids):
    return make_user("maps-leader", Role.STREET_LEADER, demo_grids[STREET_CODE])


@pytest.fixture
def head(make_user, demo_grids):
    micro = demo_grids["310106013001001"]
    return make_user("maps-head", Role.GRID_HEAD, micro)


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_pages_need_login(client):
    for url in ("/maps/coverage/", "/maps/hotspots/", "/maps/special/", "/maps/grid/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.get("/api/hotspots/?days=30").status_code in (401, 403)


@pytest.mark.parametrize("url", ["/maps/coverage/", "/maps/coverage/?metric=households&level=3",
                                 "/maps/coverage/?metric=open_incidents&level=4", "/maps/hotspots/?days=90",
                                 "/maps/special/"])
def test_leader_pages_render_offline_with_legend_and_layers(client, leader, url):
    r = get(client, leader, url)
    assert r.status_code == 200
    html = r.content.decode()
    assert not EXTERNAL.search(html)
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "geogrid-legend" in html and "L.control.layers" in html


def test_coverage_level_switch_draws_both_levels_and_shows_the_chosen_one(client, leader, demo_grids):
    html = get(client, leader, "/maps/coverage/?metric=households&level=3").content.decode()
    micro = [g for g in demo_grids.values() if g.level == 4 and g.kind == "base"]
    communities = [g for g in demo_grids.values() if g.level == 3 and g.kind == "base"]
    assert 'class="level-link on" href="?metric=households&amp;level=3"' in html
    for g in communities + micro[:3]:
        assert g.code in html
    # Two legends, the micro-grid one hidden until its layer is chosen.
    assert html.count('div.setAttribute("data-group"') == 2
    assert 'geogrid-legend hidden' in html


def test_bad_parameters_are_400_with_a_reason(client, leader):
    client.force_login(leader)
    r = client.get("/maps/coverage/?metric=bogus")
    assert r.status_code == 400 and b"bogus" in r.content
    assert client.get("/maps/coverage/?level=x").status_code == 400
    assert client.get("/maps/coverage/?level=9").status_code == 400
    assert client.get("/maps/hotspots/?days=-3").status_code == 400
    assert client.get("/maps/coverage/?format=gif").status_code == 400
    r = client.get("/api/hotspots/?days=abc")
    assert r.status_code == 400 and r.json()["rule"] == "bad_parameter"
    r = client.get("/api/hotspots/?days=30&incident_class=nonsense")
    assert r.status_code == 400 and "nonsense" in r.json()["detail"]


def test_hotspot_api_contract(client, leader, demo_grids):
    client.force_login(leader)
    rows = client.get("/api/hotspots/?days=30").json()
    micro_ids = {g.pk for g in demo_grids.values() if g.kind == "base" and g.level == 4}
    assert {r["grid_id"] for r in rows} == micro_ids
    for r in rows:
        assert set(r) == {"grid_id", "count", "gi_z", "p", "class"}
        assert r["class"] in {"hot99", "hot95", "hot90", "none", "cold90", "cold95", "cold99"}


def test_hotspot_api_is_scoped_to_the_users_grids(client, head, demo_grids):
    client.force_login(head)
    rows = client.get("/api/hotspots/?days=30").json()
    assert [r["grid_id"] for r in rows] == [demo_grids["310106013001001"].pk]


def test_grid_head_sees_own_grid_and_nothing_else(client, head, make_user, demo_grids):
    html = get(client, head, "/maps/grid/").content.decode()
    assert "310106013001001" in html
    assert "310106013001002" not in html
    # A grid they are not assigned to is not found; so is the page for someone with no grid.
    other = demo_grids["310106013001002"].pk
    assert client.get(f"/maps/grid/?grid={other}").status_code == 404
    nobody = make_user("maps-nobody")
    client.force_login(nobody)
    assert client.get("/maps/grid/").status_code == 404


def test_special_page_lists_the_demo_special_grids(client, leader, demo_grids):
    html = get(client, leader, "/maps/special/").content.decode()
    kinds = {g.kind for g in demo_grids.values() if g.kind != "base"}
    assert {"religious_site", "business_district", "commercial_street"} <= kinds
    for g in demo_grids.values():
        if g.kind != "base":
            assert f'data-kind="{g.kind}"' in html and g.name in html


def test_planted_demo_cluster_is_hot95_and_quiet_area_cold95(client, leader, demo_grids):
    demo = pytest.importorskip("layers.incidents.demo")
    from layers.staff import demo as staff_demo

    staff_demo.load()
    demo.load()
    client.force_login(leader)
    by_id = {r["grid_id"]: r for r in client.get("/api/hotspots/?days=90").json()}
    hot = by_id[demo_grids[demo.HOT_GRID_CODE].pk]
    cold = by_id[demo_grids[demo.COLD_GRID_CODE].pk]
    assert hot["class"] in ("hot95", "hot99"), hot
    assert cold["class"] in ("cold95", "cold99"), cold
    html = client.get("/maps/hotspots/?days=90").content.decode()
    assert f"<td>{demo.HOT_GRID_CODE}</td>" in html and f"<td>{demo.COLD_GRID_CODE}</td>" in html
    assert "L.heatLayer" in html
