import json
import zipfile

import geopandas as gpd
import pyogrio
import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Polygon, box

from layers.grids.models import Grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(demo_grids):
    return demo_grids["310106013001"]


def halves(parent):
    """Two features that exactly tile the parent (split at its centroid's longitude)."""
    from shapely import from_wkb
    shape = from_wkb(bytes(parent.geometry.wkb))
    minx, miny, maxx, maxy = shape.bounds
    cx = shape.centroid.x
    return [shape.intersection(box(minx - 1, miny - 1, cx, maxy + 1)),
            shape.intersection(box(cx, miny - 1, maxx + 1, maxy + 1))]


def write(tmp_path, names, geoms, name="in.geojson", **kw):
    frame = gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=4490)
    path = tmp_path / name
    pyogrio.write_dataframe(frame, path, **kw)
    return path


def run(*args):
    from io import StringIO
    out, err = StringIO(), StringIO()
    call_command("grids_import", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_checks_without_commit_and_writes_with_it(tmp_path, parent):
    before = Grid.objects.count()
    path = write(tmp_path, ["西半", "东半"], halves(parent))
    # A community's children are micro-grids (level 4); it already has them, so import as level 5.
    out, _err = run(path, "--parent", parent.code, "--level", 5, "--kind", "market")
    assert "nothing written" in out and Grid.objects.count() == before
    out, _err = run(path, "--parent", parent.code, "--level", 5, "--kind", "market", "--commit")
    assert Grid.objects.count() == before + 2
    assert set(Grid.objects.filter(parent=parent, kind="market").values_list("name", flat=True)) == {"西半", "东半"}


def test_overlapping_feature_is_refused_naming_the_rule_and_nothing_written(tmp_path, parent):
    micro = Grid.objects.filter(parent=parent, valid_to__isnull=True).first()
    before = Grid.objects.count()
    from shapely import from_wkb
    inside = from_wkb(bytes(micro.geometry.wkb)).buffer(-0.0002)
    path = write(tmp_path, ["叠加网格"], [inside])
    with pytest.raises(CommandError) as err:
        run(path, "--parent", parent.code, "--level", 4, "--commit")
    assert "nothing was written" in str(err.value)
    assert Grid.objects.count() == before


def test_self_intersecting_feature_is_reported_feature_by_feature(tmp_path, parent, capsys):
    from shapely import from_wkb
    c = from_wkb(bytes(parent.geometry.wkb)).centroid
    d = 0.0003
    bowtie = Polygon([(c.x - d, c.y - d), (c.x + d, c.y + d), (c.x + d, c.y - d), (c.x - d, c.y + d)])
    ok = box(c.x - d, c.y - d, c.x + d, c.y + d)
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "好"}, "geometry": ok.__geo_interface__},
        {"type": "Feature", "properties": {"name": "蝴蝶"}, "geometry": bowtie.__geo_interface__}]}), encoding="utf-8")
    from io import StringIO
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("grids_import", str(path), "--parent", parent.code, "--level", 5, "--kind", "market",
                     "--crs", "wgs84", "--commit", stdout=StringIO(), stderr=err)
    assert "feature 2 (蝴蝶): [geometry_invalid]" in err.getvalue()
    assert "Self-intersection" in err.getvalue()
    assert not Grid.objects.filter(name__in=["好", "蝴蝶"]).exists()


def test_gbk_shapefile_without_cpg_reads_chinese_names(tmp_path, parent):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    write(shp_dir, ["静安西片", "静安东片"], halves(parent), name="grids.shp", encoding="GBK")
    for cpg in shp_dir.glob("*.cpg"):
        cpg.unlink()
    dbf = shp_dir / "grids.dbf"
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0  # no language driver id either, as in files from the field
    dbf.write_bytes(bytes(raw))
    assert "静安".encode("gbk") in raw
    zpath = tmp_path / "grids.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, f.name)
    out, _err = run(zpath, "--parent", parent.code, "--level", 5, "--kind", "market", "--commit")
    assert "GB18030" in out
    assert set(Grid.objects.filter(parent=parent, kind="market").values_list("name", flat=True)) == {"静安西片", "静安东片"}


def test_geopackage_import(tmp_path, parent):
    path = write(tmp_path, ["甲", "乙"], halves(parent), name="in.gpkg")
    run(path, "--parent", parent.code, "--level", 5, "--kind", "market", "--commit")
    assert Grid.objects.filter(parent=parent, kind="market").count() == 2


def test_unknown_parent_and_unreadable_file_are_clear_errors(tmp_path, parent):
    with pytest.raises(CommandError, match="no current grid"):
        run(tmp_path / "x.geojson", "--parent", "999", "--level", 4)
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Cannot read|无法读取"):
        run(bad, "--parent", parent.code, "--level", 4)
