from django.contrib.gis import gdal
from django.core import checks


def test_geodjango_uses_the_wheel_gdal_and_check_is_clean():
    # Debian's GDAL 3.6 triggers gis.W001; the pyogrio wheel's GDAL is recent enough.
    assert gdal.GDAL_VERSION >= (3, 7)
    ids = {m.id for m in checks.run_checks()}
    assert "gis.W001" not in ids


def test_storage_srid_is_cgcs2000(settings):
    from layers.grids.models import Grid
    assert settings.GEOGRID_SRID == 4490
    assert Grid._meta.get_field("geometry").srid == 4490
