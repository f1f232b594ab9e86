
import geopandas as gpd
import pytest
from django.core.management import call_command
from shapely.geometry import Point

from layers.addresses.models import Address
from layers.core.crs import from_storage

pytestmark = pytest.mark.django_db
LON, LAT = 121.4452, 31.2221


def test_csv_with_a_bad_row_is_reported_and_nothing_written(tmp_path, demo_grids, capsys):
    f = tmp_path / "a.csv"
    f.write_text("address,lon,lat,households\n南京西路1号,121.4452,31.2221,3\n华山路2号,2.35,48.85,1\n"
                 "常德路3号,abc,31.22,1\n", encoding="utf-8")
    call_command("addresses_import", str(f), "--crs", "wgs84", "--commit")
    out = capsys.readouterr()
    # Numbered as the spreadsheet shows them: the header is row 1.
    assert "row 3:" in out.err and "48.85" in out.err
    assert "row 4:" in out.err and "abc" in out.err
    assert "nothing written" in out.out
    assert not Address.objects.exists()
    call_command("addresses_import", str(f), "--crs", "wgs84", "--commit", "--skip-bad")
    assert list(Address.objects.values_list("full_text", flat=True)) == ["南京西路1号"]
    assert Address.objects.get().grid_id is not None


def test_csv_without_commit_writes_nothing(tmp_path, demo_grids, capsys):
    f = tmp_path / "a.csv"
    f.write_text("full_text,wkt\n愚园路5号,POINT(121.4452 31.2221)\n", encoding="utf-8")
    call_command("addresses_import", str(f))
    assert "nothing written" in capsys.readouterr().out and not Address.objects.exists()
    call_command("addresses_import", str(f), "--crs", "wgs84", "--commit")
    assert Address.objects.get().full_text == "愚园路5号"


@pytest.mark.parametrize("suffix,driver", [("geojson", "GeoJSON"), ("gpkg", "GPKG")])
def test_geojson_and_geopackage_in_gcj02_are_converted_and_assigned(tmp_path, demo_grids, suffix, driver):
    glon, glat = from_storage(LON, LAT, "gcj02")
    gdf = gpd.GeoDataFrame({"address": ["镇宁路7号", "胶州路8号"], "households": [12, 4], "kind": ["residential", "shop"]},
                           geometry=[Point(glon, glat), Point(glon + 0.001, glat)], crs="EPSG:4326")
    f = tmp_path / f"a.{suffix}"
    gdf.to_file(f, driver=driver)
    call_command("addresses_import", str(f), "--crs", "gcj02", "--commit")
    a = Address.objects.get(full_text="镇宁路7号")
    assert a.source_crs == "gcj02" and a.households == 12
    assert abs(a.geometry.x - LON) < 1e-6 and abs(a.geometry.y - LAT) < 1e-6
    assert a.grid_id is not None
    assert Address.objects.get(full_text="胶州路8号").kind == "shop"
