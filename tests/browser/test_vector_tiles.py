"""The coverage map drawn from vector tiles (as for a city of 10,000+ grids; here the threshold is
lowered so the demo street takes that path) in real Chromium: the tiles come from this server
only, the features drawn are the user's grids, and tooltips carry the tile's figures."""
import pytest

from layers.grids.models import Grid, GridKind
from layers.staff.models import Role
from tests.support import STREET_CODE

ALL_DRAWN = """() => {
    const s = Object.values(window.geogridVectorTiles || {});
    return s.length > 0 && s.every(t => t.loading === 0) && s.some(t => t.features > 0);
}"""


@pytest.fixture
def tiles_always(settings):
    settings.GEOGRID_MAP_VECTOR_TILES_ABOVE = 0


def test_coverage_map_draws_the_users_grids_from_vector_tiles_with_tooltips(live_server, demo_grids, make_user,
                                                                           chromium, tiles_always, tmp_path):
    street = demo_grids[STREET_CODE]
    community = demo_grids["310106013001"]
    leader = make_user("矢量瓦片领导", Role.COMMUNITY_LEADER, community)
    page = chromium.page(leader, locale="zh-CN")
    tile_requests = []
    page.on("request", lambda r: tile_requests.append(r.url) if "/tiles/" in r.url else None)
    page.goto(live_server.url + "/maps/coverage/?metric=households&level=4")
    page.wait_for_selector(".leaflet-container")
    page.wait_for_function(ALL_DRAWN, timeout=30_000)
    # No grid polygon travels in the page: every shape came from /tiles/coverage/.
    assert "FeatureCollection" not in page.content()
    assert page.locator("path.leaflet-interactive").count() == 0
    assert tile_requests and all(u.startswith(live_server.url + "/tiles/coverage/") for u in tile_requests)
    counts = page.evaluate("() => Object.values(window.geogridVectorTiles).map(t => t.features)")
    mine = Grid.objects.filter(level=4, kind=GridKind.BASE, valid_to__isnull=True,
                               path__startswith=community.path).count()
    outside = Grid.objects.filter(level=4, valid_to__isnull=True, path__startswith=street.path).count() - mine
    assert outside > 0
    # The level-4 layer drew exactly the leader's micro-grids (none of the street's others).
    assert max(counts) == mine, counts
    # Hover the map until a grid shows its tooltip (Chinese labels, the tile's name and figures).
    box = page.locator(".leaflet-container").bounding_box()
    tip = page.locator(".leaflet-tooltip")
    for i in range(1, 10):
        for j in range(1, 10):
            page.mouse.move(box["x"] + box["width"] * i / 10, box["y"] + box["height"] * j / 10)
            if tip.count():
                break
        if tip.count():
            break
    assert tip.count() == 1
    text = tip.inner_text()
    assert "户数" in text and "网格" in text
    page.screenshot(path=str(tmp_path / "coverage-tiles.png"), full_page=True)
    names = set(Grid.objects.filter(level=4, path__startswith=community.path).values_list("name", flat=True))
    assert any(n in text for n in names), text
    # The other level from the layer control: its layer loads its own tiles, the community alone.
    page.locator(".leaflet-control-layers-base input").first.check()
    page.wait_for_function("() => Object.values(window.geogridVectorTiles).filter(t => t.features > 0).length >= 2")
    page.wait_for_function(ALL_DRAWN)
    counts = page.evaluate("() => Object.values(window.geogridVectorTiles).map(t => t.features)")
    assert sorted(c for c in counts if c) == [1, mine], counts


def test_grid_head_map_draws_many_children_from_vector_tiles_on_a_phone(live_server, demo_grids, make_user,
                                                                      chromium, tiles_always, tmp_path):
    area = demo_grids["310106013001"]
    head = make_user("矢量瓦片网格长", Role.GRID_HEAD, area)
    children = Grid.objects.filter(parent=area, kind=GridKind.BASE, valid_to__isnull=True).count()
    assert children > 1
    page = chromium.page(head, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(live_server.url + "/maps/grid/")
    page.wait_for_selector(".leaflet-container")
    page.wait_for_function(ALL_DRAWN, timeout=30_000)
    counts = page.evaluate("() => Object.values(window.geogridVectorTiles).map(t => t.features)")
    assert counts == [children]
    page.screenshot(path=str(tmp_path / "grid-tiles.png"), full_page=True)
