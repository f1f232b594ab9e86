"""Point GeoDjango at the GDAL, GEOS and PROJ data bundled in the pyogrio and shapely wheels.

Debian 12's GDAL 3.6 triggers Django's gis.W001 (hostile SRS strings may read files or reach
the network); the pyogrio wheel carries GDAL 3.12, which clears it. Imported by base settings
before anything touches django.contrib.gis.
"""
import glob
import os
import sysconfig
from pathlib import Path

_site = Path(sysconfig.get_paths()["purelib"])


def _one(pattern: str) -> str | None:
    found = sorted(glob.glob(str(_site / pattern)))
    return found[-1] if found else None


GDAL_LIBRARY_PATH = os.environ.get("GDAL_LIBRARY_PATH") or _one("pyogrio.libs/libgdal-*.so*")
GEOS_LIBRARY_PATH = os.environ.get("GEOS_LIBRARY_PATH") or _one("shapely.libs/libgeos_c-*.so*")

for var, sub in (("PROJ_DATA", "pyogrio/proj_data"), ("GDAL_DATA", "pyogrio/gdal_data")):
    if not os.environ.get(var) and (_site / sub).is_dir():
        os.environ[var] = str(_site / sub)
# Never let GDAL/PROJ reach the network (intranet deployments; and see gis.W001).
os.environ.setdefault("PROJ_NETWORK", "OFF")
os.environ.setdefault("GDAL_HTTP_TIMEOUT", "1")
