"""Run by /usr/bin/python3 (Debian's PyQGIS), headless: load the grids collection over OAPIF and a
vector-tile layer of grids with basic-auth credentials, and print what QGIS counted as JSON.

    QT_QPA_PLATFORM=offscreen QGIS_AUTH_DB_DIR_PATH=<tmp>/ python3 qgis_probe.py URL USER PASSWORD Z
"""
import json
import os
import sys

from qgis.core import (QgsApplication, QgsAuthMethodConfig, QgsCoordinateReferenceSystem,
                       QgsMapRendererCustomPainterJob, QgsMapSettings, QgsRectangle, QgsVectorLayer,
                       QgsVectorTileLayer, QgsVectorTileRenderer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage, QPainter

base, user, password, zoom = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
out = {}

oapif = QgsVectorLayer(f"url='{base}/ogc/' typename='grids' pageSize='7' username='{user}' password='{password}'",
                       "grids", "OAPIF")
out["oapif_valid"] = oapif.isValid()
out["oapif_features"] = sum(1 for _ in oapif.getFeatures()) if oapif.isValid() else None
out["oapif_crs"] = oapif.crs().authid()

# Vector tiles take credentials through an authentication configuration (QGIS 3.22 ignores
# username/password in a tile URL); a throw-away auth database lives in QGIS_AUTH_DB_DIR_PATH.
auth = QgsApplication.authManager()
auth.setMasterPassword("headless-probe", True)
cfg = QgsAuthMethodConfig("Basic")
cfg.setName("geogrid")
cfg.setConfig("username", user)
cfg.setConfig("password", password)
auth.storeAuthenticationConfig(cfg)

counted = {}
keep = []


class Counter(QgsVectorTileRenderer):
    """Counts the features of every tile QGIS decoded (PyQGIS 3.22 has no feature API for tiles)."""

    def type(self):
        return "counter"

    def clone(self):
        c = Counter()
        keep.append(c)
        return c

    def startRender(self, context, tileZoom, tileRange):
        pass

    def stopRender(self, context):
        pass

    def requiredLayers(self, context, tileZoom):
        return {""}

    def renderTile(self, tile, context):
        for layer in tile.layers():
            counted[layer] = counted.get(layer, 0) + len(tile.layerFeatures(layer))

    def writeXml(self, elem, context):
        pass

    def readXml(self, elem, context):
        pass


url = f"{base}/tiles/grids/%7Bz%7D/%7Bx%7D/%7By%7D.mvt"
vt = QgsVectorTileLayer(f"type=xyz&url={url}&zmin=0&zmax={zoom}&authcfg={cfg.id()}", "grid tiles")
out["tiles_valid"] = vt.isValid()
renderer = Counter()
keep.append(renderer)
vt.setRenderer(renderer)
settings = QgsMapSettings()
settings.setLayers([vt])
settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
settings.setExtent(QgsRectangle(*[float(v) for v in sys.argv[5].split(",")]))
settings.setOutputSize(QSize(600, 600))
image = QImage(QSize(600, 600), QImage.Format_ARGB32)
image.fill(QColor("white"))
painter = QPainter(image)
job = QgsMapRendererCustomPainterJob(settings, painter)
job.renderSynchronously()
painter.end()
out["tile_errors"] = [e.message for e in job.errors()]
out["tile_features"] = counted
print(json.dumps(out), flush=True)
# QGIS 3.22 may crash while tearing down its providers: the answer is out, leave without teardown.
os._exit(0)
