"""An offline geometry widget for the Django admin.

Django's OpenLayersWidget loads OpenLayers from a CDN and draws on NASA tiles from the
internet; intranet deployments have neither. This one takes `ol` from /static/vendor/ol/ and
uses the configured basemap: none (an empty background, the geometry alone), or a tile URL
template (local tile server, Tianditu with key, OSM)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.forms.widgets import OpenLayersWidget

from layers.core.basemap import basemap_from_settings

# Where the map opens when there is no geometry yet (lon, lat); the demo street by default.
DEFAULT_CENTRE = (121.445, 31.225)


class OfflineOpenLayersWidget(OpenLayersWidget):
    template_name = "grids/widgets/offline_openlayers.html"
    map_width = 800
    map_height = 500

    class Media:
        # Not extended: the parent's Media carries the CDN copies of OpenLayers.
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "grids/js/map_widget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        basemap = basemap_from_settings()
        # OpenLayers XYZ takes {a-c} for subdomains, Leaflet {s}: take the first subdomain.
        tiles = []
        for t in basemap.tiles:
            url = t.url.replace("{s}", t.subdomains[0]) if t.subdomains else t.url
            tiles.append({"url": url, "attribution": t.attribution})
        lon, lat = getattr(settings, "GEOGRID_MAP_CENTRE", DEFAULT_CENTRE)
        context.update({"tiles": tiles, "default_lon": lon, "default_lat": lat, "default_zoom": 14})
        context["widget_options_id"] = f"{context.get('id', '')}_widget_options"
        context["widget_options"] = {
            "tiles": tiles, "default_lon": lon, "default_lat": lat, "default_zoom": 14,
            "geom_name": context.get("geom_type"), "id": context.get("id", ""), "map_srid": context.get("map_srid"),
            "name": context.get("name"), "module": context.get("module")}
        return context
