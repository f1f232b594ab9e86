"""Headless PyQGIS (Debian python3-qgis, run with /usr/bin/python3) loads the grids collection and
a vector-tile layer with credentials, against a live server, and counts the features."""
import json
import math
import os
import subprocess
from pathlib import Path

from layers.grids.models import Grid, GridKind

PROBE = Path(__file__).with_name("qgis_probe.py")


def tile_of(lon, lat, z):
    n = 2 ** z
    r = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)


def test_qgis_loads_grids_over_oapif_and_vector_tiles(world, tmp_path):
    base = Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE)
    x0, y0, x1, y1 = Grid.objects.get(level=2, valid_to__isnull=True).geometry.extent
    # the deepest zoom at which the whole street is one tile: QGIS then counts each grid once
    zoom = max(z for z in range(0, 17) if tile_of(x0, y1, z) == tile_of(x1, y0, z))
    r = 6378137.0

    def merc(lon, lat):
        return math.radians(lon) * r, r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    (mx0, my0), (mx1, my1) = merc(x0, y0), merc(x1, y1)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_AUTH_DB_DIR_PATH": f"{tmp_path}/",
           "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(["/usr/bin/python3", str(PROBE), world["url"], world["user"], world["password"], str(zoom),
                          f"{mx0},{my0},{mx1},{my1}"], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["oapif_valid"] and got["oapif_features"] == base.count()
    assert got["tiles_valid"] and got["tile_errors"] == []
    assert got["tile_features"] == {"grids": base.count()}
