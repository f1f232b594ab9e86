"""Importing real public boundaries (fixtures/datav_shanghai_districts_gcj02.geojson: four DataV
districts of Shanghai, GCJ-02, 6-digit adcodes, nested attributes, no CRS member) and fitting
neighbours that do not tile exactly."""
import json
import math
from io import StringIO
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping, shape

from layers.grids.io import grids_export_bytes, read_grid_file
from layers.grids.models import Grid, GridVersion

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
DATAV = FIXTURES / "datav_shanghai_districts_gcj02.geojson"
DATAV_ARRAY = FIXTURES / "datav_shanghai_districts_gcj02_array.json"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("grids_import", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def subset(tmp_path, names, name="subset.geojson"):
    data = json.loads(DATAV.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["name"] in names]
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_no_crs_stops_the_import_and_a_dry_run_warns_loudly(demo_grids):
    before = Grid.objects.count()
    with pytest.raises(CommandError) as exc:
        run(DATAV, "--level", 1, "--commit")
    assert "crs_missing" in str(exc.value) and "GCJ-02" in str(exc.value)
    with pytest.raises(CommandError):  # the dry run goes on, and the overlap with the demo street fails it
        out, err = run(DATAV, "--level", 1)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("grids_import", str(DATAV), "--level", "1", stdout=StringIO(), stderr=err)
    assert "WARNING" in err.getvalue() and "GCJ-02" in err.getvalue()
    assert Grid.objects.count() == before


def test_overlapping_top_level_districts_are_refused(demo_grids):
    """静安区 holds the demo street 静安寺街道 (a top-level grid): both cannot be top-level."""
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("grids_import", str(DATAV), "--level", "1", "--crs", "gcj02", "--commit",
                     stdout=StringIO(), stderr=err)
    assert "[overlaps_sibling]" in err.getvalue() and "310106013000" in err.getvalue()
    assert not Grid.objects.filter(code="310106000000").exists()


def test_gcj02_district_is_stored_converted_padded_with_its_attributes_and_exported_back(tmp_path, demo_grids):
    path = subset(tmp_path, {"虹口区"})
    out, _err = run(path, "--level", 1, "--crs", "gcj02", "--commit")
    assert "补足为 12 位" in out and "imported 1 grids" in out
    grid = Grid.objects.get(code="310109000000", valid_to__isnull=True)
    assert grid.name == "虹口区"
    assert grid.attributes["adcode"] == 310109 and grid.attributes["parent"] == {"adcode": 310000}
    assert GridVersion.objects.get(grid=grid, version=1).attributes["acroutes"] == [100000, 310000]
    # GCJ-02 -> WGS84 near Shanghai: the stored boundary sits ~0.0045° west, ~0.002° north of the file's.
    source = shape(json.loads(path.read_text(encoding="utf-8"))["features"][0]["geometry"])
    stored = shapely.from_wkb(bytes(grid.geometry.wkb))
    dx = (stored.centroid.x - source.centroid.x) * 111_320 * math.cos(math.radians(31.27))
    dy = (stored.centroid.y - source.centroid.y) * 110_574
    assert -480 < dx < -380 and 150 < dy < 250
    content, _ct, _ext = grids_export_bytes(Grid.objects.filter(pk=grid.pk), fmt="geojson")
    props = json.loads(content)["features"][0]["properties"]
    assert props["code"] == "310109000000" and props["adcode"] == 310109
    acroutes = props["acroutes"]
    assert (json.loads(acroutes) if isinstance(acroutes, str) else acroutes) == [100000, 310000]


def test_gcj02_data_read_as_wgs84_is_reported_with_its_offset(tmp_path, demo_grids):
    path = subset(tmp_path, {"虹口区"})
    run(path, "--level", 1, "--crs", "gcj02", "--commit")
    # The same district again, now as if it were WGS84, under a different code field value.
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["adcode"] = 310199
    again = tmp_path / "again.geojson"
    again.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    err = StringIO()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("grids_import", str(again), "--level", "1", "--crs", "wgs84", stdout=out, stderr=err)
    assert "offset to stored data" in out.getvalue()
    assert "GCJ-02" in err.getvalue() and "--crs gcj02" in err.getvalue()


def test_bare_array_and_feature_collection_both_read_with_adcode_as_code():
    collection = read_grid_file(DATAV, crs="gcj02")
    array = read_grid_file(DATAV_ARRAY, crs="gcj02")
    assert collection.code_field == array.code_field == "adcode"
    assert array.codes == collection.codes[:2] == ["310101000000", "310104000000"]
    assert array.attributes[0]["name"] == "黄浦区"


def test_code_field_given_by_name_and_nine_digit_codes_padded(tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps([{"type": "Feature", "properties": {"街道名": "甲街道", "区划代码": "310101002"},
                                 "geometry": mapping(box(121.47, 31.22, 121.48, 31.23))}], ensure_ascii=False),
                    encoding="utf-8")
    read = read_grid_file(path, crs="wgs84", name_field="街道名")
    assert read.code_field == "区划代码" and read.codes == ["310101002000"]
    with pytest.raises(Exception) as exc:
        read_grid_file(path, crs="wgs84", code_field="没有这列")
    assert "没有这列" in str(exc.value)


@pytest.fixture
def block(db):
    """A parent street (a 1 km square far from the demo) with a stored west child."""
    from layers.grids.services import grid_create
    from django.contrib.gis.geos import Polygon

    root = grid_create(parent=None, level=2, name="拼接街道", code="530102001000",
                       geometry=Polygon.from_bbox((102.70, 25.04, 102.71, 25.05)))
    west = grid_create(parent=root, level=3, name="西社区", code="530102001001",
                       geometry=Polygon.from_bbox((102.70, 25.04, 102.705, 25.05)))
    return root, west


def test_snap_clips_overlaps_fills_slivers_and_reports_each(tmp_path, block):
    root, west = block
    m = 1 / 100_000  # about a metre in degrees here (roughly; only relative sizes matter)
    # East neighbour from another source: overlaps the west child by a 3 m strip, stops 4 m short
    # of the parent's east edge, and its north edge leaves a 2 m sliver under the parent's.
    east = box(102.705 - 3 * m, 25.04, 102.71 - 4 * m, 25.05 - 2 * m)
    path = tmp_path / "east.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "东社区", "code": "530102001002"}, "geometry": mapping(east)}]},
        ensure_ascii=False), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("grids_import", str(path), "--parent", root.code, "--level", "3", "--crs", "wgs84",
                     stdout=(out := StringIO()), stderr=err)
    assert "[overlaps_sibling]" in err.getvalue()
    assert "gap remaining" in out.getvalue() and '"type":"Polygon"' in out.getvalue().replace(" ", "")
    out, _err = run(path, "--parent", root.code, "--level", 3, "--crs", "wgs84", "--snap-m", 10, "--commit")
    assert "adjusted: snap 东社区" in out
    assert "imported 1 grids" in out
    assert "overlap remaining" not in out
    grid = Grid.objects.get(code="530102001002", valid_to__isnull=True)
    from layers.grids.selectors import grid_coverage_report
    report = grid_coverage_report(parent=root)
    assert report["overlap_area_m2"] == 0 and report["gap_area_m2"] < 1.0, report
    assert grid.geometry.covers(grid.geometry.centroid)


def test_snap_clip_and_sliver_limits_are_honoured(tmp_path, block):
    root, west = block
    m = 1 / 100_000
    east = box(102.705 - 30 * m, 25.04, 102.71, 25.05)  # a 30 m strip over the west child (~ 33,000 m²)
    path = tmp_path / "east.geojson"
    path.write_text(json.dumps([{"type": "Feature", "properties": {"name": "东社区", "code": "530102001002"},
                                 "geometry": mapping(east)}], ensure_ascii=False), encoding="utf-8")
    out, _err = run(path, "--parent", root.code, "--level", 3, "--crs", "wgs84", "--snap-m", 5,
                    "--clip-max-m2", 100000)
    assert "adjusted: clip_overlap 东社区 / 530102001001" in out
    with pytest.raises(CommandError):
        run(path, "--parent", root.code, "--level", 3, "--crs", "wgs84", "--snap-m", 5, "--clip-max-m2", 1000)
