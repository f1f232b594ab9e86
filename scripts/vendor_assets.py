"""Copy the browser assets the pages use from node_modules (and folium's package) into static/vendor/.

Why: intranet deployments have no internet, so every script, stylesheet, font and image a
page loads must be served by the app itself. `npm ci` fetches the pinned packages once at
set-up time; this script copies only the files the pages reference into stable paths
(static/vendor/<name>/...) that templates and maps/assets.py point at. Safe to run again.

    .venv/bin/python scripts/vendor_assets.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
OUT = ROOT / "static" / "vendor"

# (source relative to node_modules, destination relative to static/vendor). A source ending
# in "/" is a folder copied whole.
FILES: list[tuple[str, str]] = [
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images/", "leaflet/images/"),
    ("@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.js", "geoman/leaflet-geoman.js"),
    ("@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css", "geoman/leaflet-geoman.css"),
    ("leaflet.markercluster/dist/leaflet.markercluster.js", "markercluster/leaflet.markercluster.js"),
    ("leaflet.markercluster/dist/MarkerCluster.css", "markercluster/MarkerCluster.css"),
    ("leaflet.markercluster/dist/MarkerCluster.Default.css", "markercluster/MarkerCluster.Default.css"),
    ("leaflet.awesome-markers/dist/leaflet.awesome-markers.js", "awesome-markers/leaflet.awesome-markers.js"),
    ("leaflet.awesome-markers/dist/leaflet.awesome-markers.css", "awesome-markers/leaflet.awesome-markers.css"),
    ("leaflet.awesome-markers/dist/images/", "awesome-markers/images/"),
    ("leaflet.fullscreen/Control.FullScreen.js", "fullscreen/Control.FullScreen.js"),
    ("leaflet.fullscreen/Control.FullScreen.css", "fullscreen/Control.FullScreen.css"),
    ("leaflet.fullscreen/icon-fullscreen.svg", "fullscreen/icon-fullscreen.svg"),
    ("jquery/dist/jquery.min.js", "jquery/jquery.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    # all.min.css refers to ../webfonts/*, so keep that layout.
    ("@fortawesome/fontawesome-free/css/all.min.css", "fontawesome/css/all.min.css"),
    ("@fortawesome/fontawesome-free/webfonts/", "fontawesome/webfonts/"),
    # OpenLayers full build (global `ol`), what Django's OpenLayersWidget expects.
    ("ol/dist/ol.js", "ol/ol.js"),
    ("ol/ol.css", "ol/ol.css"),
    # Vector tiles (MVT) in Leaflet for the large grid layers of the maps; the bundle carries
    # its protobuf decoder.
    ("leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js", "vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    # d3 v3: branca's colormap legend is written against it.
    ("d3/d3.min.js", "d3/d3.min.js"),
    # The offline field app: the service worker loads workbox-sw, which loads its modules from
    # static/vendor/workbox/ (modulePathPrefix), and idb wraps IndexedDB in page and worker alike.
    ("workbox-sw/build/workbox-sw.js", "workbox/workbox-sw.js"),
    ("workbox-core/build/workbox-core.prod.js", "workbox/workbox-core.prod.js"),
    ("workbox-routing/build/workbox-routing.prod.js", "workbox/workbox-routing.prod.js"),
    ("workbox-strategies/build/workbox-strategies.prod.js", "workbox/workbox-strategies.prod.js"),
    ("workbox-expiration/build/workbox-expiration.prod.js", "workbox/workbox-expiration.prod.js"),
    ("workbox-cacheable-response/build/workbox-cacheable-response.prod.js",
     "workbox/workbox-cacheable-response.prod.js"),
    ("idb/build/umd.js", "idb/idb.umd.js"),
]


def _folium_heat() -> Path:
    # folium's HeatMap ships a patched Leaflet.heat (weights fix, Leaflet.heat PR 78); the
    # npm release lacks the patch, so take the file from the installed folium package.
    import folium

    return Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"


def _copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def main() -> int:
    if not NODE.is_dir():
        print("node_modules/ is missing: run `npm ci` first", file=sys.stderr)
        return 1
    missing = []
    for src, dst in FILES:
        s = NODE / src.rstrip("/")
        if not s.exists():
            missing.append(src)
            continue
        _copy(s, OUT / dst.rstrip("/"))
    heat = _folium_heat()
    if heat.exists():
        _copy(heat, OUT / "leaflet-heat" / "leaflet-heat.js")
    else:
        missing.append(str(heat))
    if missing:
        print("missing sources: " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"vendored {len(FILES) + 1} assets into {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
