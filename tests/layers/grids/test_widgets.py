"""The admin geometry widget loads OpenLayers from the vendored copy and no internet tiles."""
import json
import re

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import override_settings

from layers.grids.widgets import OfflineOpenLayersWidget


def render(**settings):
    with override_settings(**settings):
        w = OfflineOpenLayersWidget(attrs={"geom_type": "MULTIPOLYGON"})
        geom = MultiPolygon(Polygon(((121.44, 31.22), (121.45, 31.22), (121.45, 31.23), (121.44, 31.22))), srid=4490)
        return str(w.media), w.render("geometry", geom, attrs={"id": "id_geometry"})


def options(html: str) -> dict:
    """The widget's options, given as JSON (the page CSP allows no inline script to build them)."""
    m = re.search(r'<script id="id_geometry_widget_options" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_media_is_vendored_and_base_layer_is_empty_by_default():
    media, html = render(GEOGRID_BASEMAP="none")
    assert "/static/vendor/ol/ol.js" in media and "/static/vendor/ol/ol.css" in media
    assert not re.search(r"https?://", media + html)
    assert "/static/grids/js/map_widget.js" in media
    opts = options(html)
    assert opts["tiles"] == [] and opts["default_lon"] == 121.445 and opts["id"] == "id_geometry"
    assert "<script>" not in html  # no inline script


def test_local_tile_server_becomes_the_base_layer():
    _media, html = render(GEOGRID_BASEMAP="/tiles/{z}/{x}/{y}.png")
    assert [t["url"] for t in options(html)["tiles"]] == ["/tiles/{z}/{x}/{y}.png"]
    assert "earthdata" not in html
