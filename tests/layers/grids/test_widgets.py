"""The admin geometry widget loads OpenLayers from the vendored copy and no internet tiles."""
import re

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import override_settings

from layers.grids.widgets import OfflineOpenLayersWidget


def render(**settings):
    with override_settings(**settings):
        w = OfflineOpenLayersWidget(attrs={"geom_type": "MULTIPOLYGON"})
        geom = MultiPolygon(Polygon(((121.44, 31.22), (121.45, 31.22), (121.45, 31.23), (121.44, 31.22))), srid=4490)
        return str(w.media), w.render("geometry", geom)


def test_media_is_vendored_and_base_layer_is_empty_by_default():
    media, html = render(GEOGRID_BASEMAP="none")
    assert "/static/vendor/ol/ol.js" in media and "/static/vendor/ol/ol.css" in media
    assert not re.search(r"https?://", media + html)
    assert "new ol.layer.Vector({source: new ol.source.Vector()})" in html
    assert "default_lon: 121.445" in html


def test_local_tile_server_becomes_the_base_layer():
    _media, html = render(GEOGRID_BASEMAP="/tiles/{z}/{x}/{y}.png")
    assert 'url: "/tiles/{z}/{x}/{y}.png"' in html
    assert "earthdata" not in html
