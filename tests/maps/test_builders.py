"""Map builders render offline HTML with legends, layers and tooltips (asserted on the HTML)."""
import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from maps import builders
from maps.assets import OfflineViolation, assert_offline, map_html, offline_map
from layers.core.basemap import Basemap, TileLayer, to_basemap_datum

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")
CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "unpkg.com", "d3js.org",
             "netdna.bootstrapcdn.com", "openstreetmap.org")


def grid_gdf(levels=(3, 4)):
    rows = []
    gid = 1
    for level in levels:
        size = 0.01 if level == 3 else 0.0025
        n = 2 if level == 3 else 8
        for i in range(n):
            x = 121.44 + (i % 4) * size
            y = 31.22 + (i // 4) * size
            rows.append({"id": gid, "code": f"C{level}{i:02d}", "name": f"第{i + 1}网格", "level": level,
                         "households": [120, 260, 480, 700, 90, 333, 410, 260][i % 8] * (4 if level == 3 else 1),
                         "subjects": i, "staff": 2, "households_per_staff": 100.0 + i,
                         "visited_within_cadence": None, "open_incidents": i % 3, "overdue_incidents": i % 2,
                         "flags": "", "geometry": box(x, y, x + size, y + size)})
            gid += 1
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4490")


def has(html, text):
    """Text appears in the page, literally or as a JSON-escaped JavaScript string."""
    return text in html or json.dumps(text)[1:-1] in html


def assert_no_cdn(html):
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    for host in CDN_HOSTS:
        assert host not in html, host


def test_offline_map_uses_only_vendored_assets_and_leaves_folium_class_lists_alone():
    import folium

    before = list(folium.Map.default_js)
    html = map_html(offline_map(location=[31.2, 121.4], zoom_start=12))
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet/leaflet.css" in html
    assert_no_cdn(html)
    assert folium.Map.default_js == before
    # A plain folium map still carries its CDN links: the change did not leak.
    assert "cdn.jsdelivr.net" in folium.Map(tiles=None).get_root().render()


def test_assert_offline_catches_a_cdn_script():
    with pytest.raises(OfflineViolation):
        assert_offline('<script src="https://cdn.jsdelivr.net/npm/x.js"></script>')
    with pytest.raises(OfflineViolation):
        assert_offline('<link rel="stylesheet" href="//example.com/a.css">')
    assert_offline('<script src="/static/vendor/leaflet/leaflet.js"></script>')


@pytest.mark.parametrize("metric", list(builders.coverage_metrics()))
def test_coverage_map_has_legend_layers_tooltips_and_no_cdn(metric):
    gdf = grid_gdf()
    m = builders.build_coverage_map(gdf, metric=metric, level=4, level_names={3: "小区网格", 4: "微网格"},
                                    bands={3: (1000, 2000), 4: (200, 500)})
    html = map_html(m)
    assert_no_cdn(html)
    assert html.count('L.control({position: "bottomright"})') == 2  # one legend per level
    assert has(html, "小区网格") and has(html, "微网格")
    assert html.count('div.setAttribute("data-group"') == 2
    assert "L.control.layers" in html
    assert "bindTooltip" in html
    assert has(html, "第3网格")  # the tooltip names each grid
    assert "baselayerchange" in html  # the level switch swaps legends


def test_coverage_band_legend_states_the_band_and_colours_grids_by_it():
    gdf = grid_gdf(levels=(4,))
    html = map_html(builders.build_coverage_map(gdf, metric="households_band", level=4,
                                                bands={4: (200, 500)}))
    assert has(html, "200–500")
    # 120 and 90 are below, 700 above, the rest within the band.
    assert html.count(builders.BAND_COLOURS["below"]) >= 2
    assert builders.BAND_COLOURS["above"] in html


def test_coverage_breaks_come_from_mapclassify():
    import pandas as pd

    idx, bins = builders.classify(pd.Series([1, 2, 3, 10, 11, 12, 50, 51, 90, 100, None]), k=4)
    assert len(bins) == 4 and bins[-1] == 100
    assert idx[-1] == -1  # missing value -> no class
    assert list(idx[:3]) == [0, 0, 0] and idx[9] == 3


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError):
        builders.build_coverage_map(grid_gdf(), metric="nope")


def test_hotspot_map_has_heatmap_from_vendor_gi_layer_and_legend():
    gdf = grid_gdf(levels=(4,))
    gdf["count"] = range(len(gdf))
    gdf["gi_z"] = [2.7, 2.0, 1.7, 0, 0, -1.7, -2.0, -2.7]
    gdf["p"] = [0.007, 0.04, 0.09, 1, 1, 0.09, 0.04, 0.007]
    gdf["class"] = ["hot99", "hot95", "hot90", "none", "none", "cold90", "cold95", "cold99"]
    pts = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[Point(121.441, 31.221), Point(121.442, 31.222)],
                           crs="EPSG:4490")
    html = map_html(builders.build_hotspot_map(gdf, incidents=pts))
    assert_no_cdn(html)
    assert "/static/vendor/leaflet-heat/leaflet-heat.js" in html
    assert "L.heatLayer" in html
    for cls in builders.HOTSPOT_CLASSES:
        assert builders.HOTSPOT_COLOURS[cls] in html
    assert "geogrid-legend" in html


def test_special_map_styles_each_kind_as_its_own_layer():
    special = gpd.GeoDataFrame(
        [{"id": 1, "code": "S1", "name": "静安寺商圈", "kind": "business_district", "geometry": box(121.44, 31.22, 121.45, 31.23)},
         {"id": 2, "code": "S2", "name": "某宗教活动场所", "kind": "religious_site", "geometry": box(121.45, 31.22, 121.452, 31.222)}],
        geometry="geometry", crs="EPSG:4490")
    html = map_html(builders.build_special_map(special, base=grid_gdf(levels=(4,))))
    assert_no_cdn(html)
    assert builders.SPECIAL_COLOURS["business_district"] in html
    assert builders.SPECIAL_COLOURS["religious_site"] in html
    assert has(html, "静安寺商圈") and has(html, "某宗教活动场所")
    assert html.count("L.geoJson(") == 3  # base grids + one layer per kind


def test_grid_head_map_marks_overdue_incidents_and_links_each_one():
    grid = grid_gdf(levels=(3,)).iloc[:1]
    children = grid_gdf(levels=(4,))
    incidents = gpd.GeoDataFrame(
        [{"id": 41, "status": "reported", "overdue": True, "title": "井盖缺失", "geometry": Point(121.441, 31.221)},
         {"id": 42, "status": "closed", "overdue": False, "title": "路灯不亮", "geometry": Point(121.443, 31.222)}],
        geometry="geometry", crs="EPSG:4490")
    html = map_html(builders.build_grid_head_map(grid, children=children, incidents=incidents,
                                                 status_labels={"reported": "已上报", "closed": "已结案"}))
    assert_no_cdn(html)
    assert "/incidents/41/" in html and "/incidents/42/" in html
    assert html.count("L.circleMarker(") == 2
    assert '"radius": 8' in html and '"radius": 5' in html  # the overdue one is bigger, ringed black
    assert has(html, "已上报") and has(html, "已结案")


def test_gcj02_basemap_shifts_overlays_and_none_does_not():
    gdf = grid_gdf(levels=(4,))
    same = to_basemap_datum(gdf, Basemap(name="none"))
    assert same.geometry.iloc[0].equals(gdf.geometry.iloc[0])
    gaode = Basemap(name="gaode", crs="gcj02", tiles=(TileLayer("/tiles/{z}/{x}/{y}.png", "a", "t"),))
    shifted = to_basemap_datum(gdf, gaode)
    dx = shifted.geometry.iloc[0].bounds[0] - gdf.geometry.iloc[0].bounds[0]
    # GCJ-02 in Shanghai is some hundreds of metres east of WGS84 (~0.004-0.005 degrees).
    assert 0.003 < dx < 0.006
    html = map_html(builders.build_coverage_map(gdf, metric="households", basemap=gaode))
    assert "/tiles/{z}/{x}/{y}.png" in html


def test_large_frames_get_sampled_fisher_jenks_breaks_deterministically():
    import numpy as np
    import pandas as pd

    values = pd.Series(np.random.default_rng(7).gamma(2.0, 100.0, 10_000))
    idx, bins = builders.classify(values, k=5)
    assert builders.classify(values, k=5)[1] == bins
    assert len(bins) == 5 and bins[-1] == values.max()
    assert set(idx) == {0, 1, 2, 3, 4}


def test_popups_get_the_vendored_jquery_they_are_built_with():
    grid = grid_gdf(levels=(3,)).iloc[:1]
    incidents = gpd.GeoDataFrame([{"id": 1, "status": "reported", "overdue": False, "geometry": Point(121.441, 31.221)}],
                                 geometry="geometry", crs="EPSG:4490")
    html = map_html(builders.build_grid_head_map(grid, incidents=incidents))
    assert "$(`" in html  # folium's Popup
    assert "/static/vendor/jquery/jquery.min.js" in html


def test_first_fit_to_the_grids_is_not_animated():
    html = map_html(builders.build_special_map(grid_gdf(levels=(4,)).assign(kind="market")))
    assert re.search(r'fitBounds\([^;]*"animate": false', html, re.S)
