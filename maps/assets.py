"""Offline assets for folium maps: every script and stylesheet comes from /static/vendor/.

folium keeps its CDN links in class attributes (`folium.Map.default_js`, each plugin's
`default_js`/`default_css`). Assigning the vendored list on the *instance* keeps the change to
that one map; `m.add_js_link()` or editing the class lists would change every map in the
process (DESIGN.md). branca's colormap hard-codes d3 from a CDN inside `render()`, so the
builders draw their own HTML legend (maps.legend) and never add a branca colormap.
`page_parts()` renders a map and refuses any external script or stylesheet that slipped in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
from django.templatetags.static import static

from .geojson import data_script

# name -> path under static/ (scripts/vendor_assets.py puts them there).
VENDOR_JS = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "awesome_markers": "vendor/awesome-markers/leaflet.awesome-markers.js",
    "leaflet-heat.js": "vendor/leaflet-heat/leaflet-heat.js",
    "markerclusterjs": "vendor/markercluster/leaflet.markercluster.js",
    "Control.Fullscreen.js": "vendor/fullscreen/Control.FullScreen.js",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/bootstrap.bundle.min.js",
    "d3": "vendor/d3/d3.min.js",
    "vectorgrid": "vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
}
VENDOR_CSS = {
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "awesome_markers_css": "vendor/awesome-markers/leaflet.awesome-markers.css",
    "markerclustercss": "vendor/markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/markercluster/MarkerCluster.Default.css",
    "Control.FullScreen.css": "vendor/fullscreen/Control.FullScreen.css",
    "bootstrap_css": "vendor/bootstrap/bootstrap.min.css",
}

# What a map page needs: folium's Popup builds its content with jQuery. Bootstrap is left out
# on purpose: nothing the builders use needs it, and its CSS would restyle the site page.
MAP_JS = ["leaflet", "jquery", "awesome_markers"]
MAP_CSS = ["leaflet_css", "awesome_markers_font_css", "awesome_markers_css"]


class OfflineViolation(RuntimeError):
    """A rendered map still refers to a script or stylesheet outside the server."""


def _js(names):
    return [(n, static(VENDOR_JS[n])) for n in names]


def _css(names):
    return [(n, static(VENDOR_CSS[n])) for n in names]


def offline_map(**kwargs) -> folium.Map:
    """A folium.Map whose own links point at the vendored copies (this instance only)."""
    kwargs.setdefault("tiles", None)
    # With tiles=None Leaflet has no maxZoom, and MarkerCluster breaks without one.
    kwargs.setdefault("max_zoom", 19)
    kwargs.setdefault("control_scale", True)
    m = folium.Map(**kwargs)
    m.default_js = _js(MAP_JS)
    m.default_css = _css(MAP_CSS)
    return m


def offline(element):
    """Point a plugin's own links (default_js/default_css) at the vendored copies.

    A plugin whose files are not vendored is refused here rather than loading from a CDN."""
    cls = type(element)
    js, css = [], []
    for name, _url in getattr(cls, "default_js", []):
        if name not in VENDOR_JS:
            raise OfflineViolation(f"{cls.__name__} needs {name}, which is not vendored")
        js.append((name, static(VENDOR_JS[name])))
    for name, _url in getattr(cls, "default_css", []):
        if name not in VENDOR_CSS:
            raise OfflineViolation(f"{cls.__name__} needs {name}, which is not vendored")
        css.append((name, static(VENDOR_CSS[name])))
    element.default_js = js
    element.default_css = css
    return element


_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


@dataclass
class PageParts:
    """A rendered map split for embedding in a Django page (head, body, script)."""
    header: str
    html: str
    script: str
    map_id: str
    data: str = ""  # <script> with the DataGeoJson layers' data; goes before `script`


def assert_offline(text: str) -> None:
    """Raise OfflineViolation if the HTML loads a script or stylesheet from another host."""
    hit = _EXTERNAL.search(text)
    if hit:
        raise OfflineViolation("external resource in map HTML: " + text[hit.start():hit.start() + 120])


def page_parts(m: folium.Map) -> PageParts:
    """Render the map and return its head, body and script, checked to be offline-safe."""
    fig = m.get_root()
    fig.render()
    parts = PageParts(header=fig.header.render(), html=fig.html.render(), script=fig.script.render(),
                      map_id=m.get_name(), data=data_script(m))
    assert_offline(parts.header + parts.html)
    return parts


def map_html(m: folium.Map) -> str:
    """The whole standalone HTML document of a map, checked to be offline-safe."""
    text = m.get_root().render()
    assert_offline(text)
    return text.replace("</head>", data_script(m) + "\n</head>", 1)
