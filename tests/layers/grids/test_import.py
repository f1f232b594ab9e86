import json
from io import StringIO
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


# --- into the party-building network (issue 17: party grids drawn like any grid) ---------------

def _shape(grid):
    from shapely import from_wkb
    return from_wkb(bytes(grid.geometry.wkb))


def test_party_network_import_top_level_then_under_a_party_parent_leaves_base_grids_alone(tmp_path, demo_grids):
    from django.db import connection

    from layers.grids.locate import locate
    from layers.grids.models import GridNetwork

    street, community = demo_grids["310106013000"], demo_grids["310106013001"]
    base_before = sorted(Grid.objects.values_list("code", "version"))
    probe = community.geometry.point_on_surface
    located_before = locate(lon=probe.x, lat=probe.y).grid["id"]
    # The street's boundary with its division code: the party root takes the network's prefix.
    top = tmp_path / "street.geojson"
    frame = gpd.GeoDataFrame({"name": ["街道党建网格"], "adcode": [street.code]}, geometry=[_shape(street)], crs=4490)
    pyogrio.write_dataframe(frame, top)
    out, _err = run(top, "--level", 2, "--network", "party", "--commit")
    root = Grid.all_networks.get(code="P" + street.code, valid_to__isnull=True)
    assert root.network == GridNetwork.PARTY and root.parent is None and f"created {root.code}" in out
    # Two general branches over the two halves of a community: they overlap base grids freely.
    path = write(tmp_path, ["西党总支", "东党总支"], halves(community))
    out, _err = run(path, "--parent", root.code, "--level", 3, "--network", "party", "--commit")
    branches = list(Grid.all_networks.filter(parent=root, valid_to__isnull=True).order_by("code"))
    assert [b.name for b in branches] == ["西党总支", "东党总支"]
    assert all(b.network == GridNetwork.PARTY and b.code.startswith(root.code) and len(b.code) == len(root.code) + 3
               for b in branches)
    # The base network is as it was: no grid added or changed, the point still lands where it did.
    assert sorted(Grid.objects.values_list("code", "version")) == base_before
    assert locate(lon=probe.x, lat=probe.y).grid["id"] == located_before
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids_micro WHERE id = ANY(%s)", [[b.pk for b in branches]])
        assert cur.fetchone()[0] == 0


def test_party_network_import_keeps_its_own_no_overlap_rule_and_parent(tmp_path, demo_grids):
    from layers.grids.models import GridNetwork
    from layers.grids.services import GridSpec, grids_create

    street, community = demo_grids["310106013000"], demo_grids["310106013001"]
    (root,) = grids_create(parent=None, level=2, network=GridNetwork.PARTY,
                           specs=[GridSpec(name="党建网格", geometry=street.geometry, code="P" + street.code)])
    grids_create(parent=root, level=3, network=GridNetwork.PARTY,
                 specs=[GridSpec(name="已有党总支", geometry=community.geometry)])
    before = Grid.all_networks.count()
    # Overlapping a party sibling is refused, naming the rule; nothing is written.
    path = write(tmp_path, ["叠加党总支"], [_shape(community).buffer(-0.0003)])
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("grids_import", str(path), "--parent", root.code, "--level", 3, "--network", "party",
                     "--commit", stdout=StringIO(), stderr=err)
    assert "overlaps_sibling" in err.getvalue() and Grid.all_networks.count() == before
    # The same feature into the base network under the community's base parent would be judged
    # by the base rules; a base code is no parent in the party network and the reverse.
    with pytest.raises(CommandError, match="no current grid with code 310106013000 in the party network"):
        run(path, "--parent", street.code, "--level", 3, "--network", "party")
    with pytest.raises(CommandError, match="no current grid"):
        run(path, "--parent", root.code, "--level", 3)
    with pytest.raises(CommandError, match="invalid choice"):
        run(path, "--parent", root.code, "--level", 3, "--network", "nope")
