"""The web import in Chromium: upload, preview (encoding, CRS, mapping, first rows), dry run with
its report, then commit; nothing is written before the commit."""
import json
import os
from pathlib import Path

from layers.addresses.models import Address
from layers.grids.models import Grid

from tests.support import write_gbk_csv

DATAV = Path(__file__).resolve().parents[3] / "fixtures" / "datav_shanghai_districts_gcj02.geojson"
SHOTS = os.environ.get("GEOGRID_SCREENSHOTS")  # a folder to keep screenshots in, when set


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_planner_imports_a_gbk_registry_dry_run_then_commit(live_server, demo_grids, make_user, chromium, tmp_path):
    user = make_user("导入规划员", role="planner", grid=demo_grids["310106013000"])
    csv_path = write_gbk_csv(tmp_path / "地址台账.csv")
    page = chromium.page(user)
    page.goto(live_server.url + "/imports/")
    page.check("input[name=kind][value=addresses]")
    page.set_input_files("input[name=file]", str(csv_path))
    page.click("#upload")
    page.wait_for_selector("#preview")
    assert page.inner_text("#pv-encoding") == "gb18030"
    mapping = page.inner_text("#pv-mapping")
    assert "户数" in mapping and "类型" in mapping and "坐标系" in mapping and "编号" in mapping
    assert "备注" in page.inner_text("#pv-unknown")
    assert "南京西路100号" in page.inner_text("#pv-rows")
    page.click("#dry-run")
    page.wait_for_selector("#verdict")
    assert "4 " in page.inner_text("#verdict")
    assert not Address.objects.exists()  # a dry run writes nothing
    _shot(page, "import-registry-dry-run.png")
    page.click("#commit")
    page.wait_for_function("() => document.querySelector('#status') && document.querySelector('#status').innerText.includes('已提交')")
    assert Address.objects.count() == 4
    assert sorted(Address.objects.values_list("households", flat=True)) == [10, 20, 30, 40]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_admin_imports_real_gcj02_districts_and_sees_the_overlap_refused(live_server, demo_grids, make_user, chromium,
                                                                        tmp_path):
    admin = make_user("导入管理员", role="admin")
    page = chromium.page(admin)
    # Without a coordinate system the preview warns, naming GCJ-02.
    page.goto(live_server.url + "/imports/")
    page.set_input_files("input[name=file]", str(DATAV))
    page.fill("input[name=level]", "1")
    page.click("#upload")
    page.wait_for_selector("#preview")
    assert "GCJ-02" in page.inner_text("#preview .warning")
    page.click("#dry-run")
    page.wait_for_selector("#problems")
    assert "overlaps_sibling" in page.inner_text("#problems") and "310106013000" in page.inner_text("#problems")
    _shot(page, "import-districts-refused.png")
    # Only 虹口区, declared GCJ-02: dry run, commit, stored with its padded code.
    data = json.loads(DATAV.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["name"] == "虹口区"]
    one = tmp_path / "hongkou.geojson"
    one.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page.goto(live_server.url + "/imports/")
    page.set_input_files("input[name=file]", str(one))
    page.select_option("select[name=crs]", "gcj02")
    page.fill("input[name=level]", "1")
    page.click("#upload")
    page.wait_for_selector("#preview")
    assert "GCJ02" in page.inner_text("#pv-crs")
    assert "310109000000" in page.inner_text("#pv-rows")
    page.click("#dry-run")
    page.wait_for_selector("#verdict")
    assert not Grid.objects.filter(code="310109000000").exists()
    page.click("#commit")
    page.wait_for_function("() => document.querySelector('#status') && document.querySelector('#status').innerText.includes('已提交')")
    grid = Grid.objects.get(code="310109000000", valid_to__isnull=True)
    assert grid.attributes["adcode"] == 310109
    _shot(page, "import-district-committed.png")


def test_imports_page_is_refused_to_field_roles(client, demo_grids, make_user):
    member = make_user("导入网格员", role="grid_member", grid=demo_grids["310106013000"])
    client.force_login(member)
    assert client.get("/imports/").status_code == 403


def test_a_refused_upload_is_a_400_with_the_reason_and_stores_nothing(client, demo_grids, make_user, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from layers.imports.models import ImportJob

    planner = make_user("导入规划员乙", role="planner", grid=demo_grids["310106013000"])
    client.force_login(planner)
    resp = client.post("/imports/", {"kind": "addresses", "file": SimpleUploadedFile("台账.xls", b"\xd0\xcf\x11\xe0")})
    assert resp.status_code == 400 and ".xlsx" in resp.content.decode()
    resp = client.post("/imports/", {"kind": "grids", "level": "1",
                                     "file": SimpleUploadedFile("区.geojson", DATAV.read_bytes())})
    assert resp.status_code == 400 and "管理员" in resp.content.decode()  # top level: administrators only
    assert not ImportJob.objects.exists()


def test_admin_imports_general_branches_into_the_party_network(live_server, demo_grids, make_user, chromium, tmp_path,
                                                               client):
    """The same page, network 党建网格: the branches over a community's halves overlap base grids
    (allowed: another network) and land under the party parent with P codes; base grids untouched."""
    import geopandas as gpd
    import pyogrio
    from shapely import from_wkb
    from shapely.geometry import box

    from layers.grids.models import GridNetwork
    from layers.grids.services import GridSpec, grids_create

    street, community = demo_grids["310106013000"], demo_grids["310106013001"]
    (root,) = grids_create(parent=None, level=2, network=GridNetwork.PARTY,
                           specs=[GridSpec(name="党建网格", geometry=street.geometry, code="P" + street.code)])
    shape = from_wkb(bytes(community.geometry.wkb))
    minx, miny, maxx, maxy = shape.bounds
    cx = shape.centroid.x
    halves = [shape.intersection(box(minx - 1, miny - 1, cx, maxy + 1)), shape.intersection(box(cx, miny - 1, maxx + 1, maxy + 1))]
    path = tmp_path / "党总支.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["西党总支", "东党总支"]}, geometry=halves, crs=4490), path)
    base_before = sorted(Grid.objects.values_list("code", "version"))
    page = chromium.page(make_user("党建导入管理员", role="admin"))
    page.goto(live_server.url + "/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=network]", "party")
    page.fill("input[name=parent]", root.code)
    page.fill("input[name=level]", "3")
    page.click("#upload")
    page.wait_for_selector("#preview")
    assert page.inner_text("#pv-network") == "党建网格"
    page.click("#dry-run")
    page.wait_for_selector("#verdict")
    assert not Grid.all_networks.filter(parent=root).exists()
    page.click("#commit")
    page.wait_for_function("() => document.querySelector('#status') && document.querySelector('#status').innerText.includes('已提交')")
    branches = list(Grid.all_networks.filter(parent=root, valid_to__isnull=True).order_by("code"))
    assert [b.name for b in branches] == ["西党总支", "东党总支"]
    assert all(b.network == GridNetwork.PARTY and b.code.startswith(root.code) for b in branches)
    assert sorted(Grid.objects.values_list("code", "version")) == base_before
    _shot(page, "import-party-branches.png")
    # A base code is no parent in the party network: refused with the reason (400), nothing stored.
    from django.core.files.uploadedfile import SimpleUploadedFile
    client.force_login(make_user("党建导入管理员乙", role="admin"))
    resp = client.post("/imports/", {"kind": "grids", "network": "party", "parent": community.code, "level": "5",
                                     "file": SimpleUploadedFile("党总支.geojson", path.read_bytes())})
    assert resp.status_code == 400 and community.code in resp.content.decode()
    resp = client.post("/imports/", {"kind": "grids", "network": "nope", "parent": root.code, "level": "3",
                                     "file": SimpleUploadedFile("党总支.geojson", path.read_bytes())})
    assert resp.status_code == 400 and "党建网格" in resp.content.decode()
    assert sorted(Grid.objects.values_list("code", "version")) == base_before
