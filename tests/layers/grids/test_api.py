import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client, make_user):
    client.force_login(make_user("viewer"))
    return client


def features(resp):
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"].startswith("application/geo+json")
    fc = json.loads(resp.content)
    assert fc["type"] == "FeatureCollection"
    return fc["features"]


def test_grids_list_is_feature_collection_of_49_base_plus_special(client_in, demo_grids):
    feats = features(client_in.get("/api/grids/"))
    base = [f for f in feats if f["properties"]["kind"] == "base"]
    special = [f for f in feats if f["properties"]["kind"] != "base"]
    assert len(base) == 49
    assert {f["properties"]["kind"] for f in special} >= {"religious_site", "business_district", "commercial_street"}
    props = base[0]["properties"]
    assert {"id", "code", "name", "level", "kind", "parent"} <= props.keys()
    top = [f for f in base if f["properties"]["parent"] is None]
    assert len(top) == 1 and top[0]["properties"]["code"] == "310106013000"
    assert base[0]["geometry"]["type"] == "MultiPolygon"


def test_grids_filters_kind_parent_bbox_level(client_in, demo_grids):
    street = demo_grids["310106013000"]
    assert len(features(client_in.get("/api/grids/?kind=base&level=4"))) == 37
    assert len(features(client_in.get(f"/api/grids/?parent={street.pk}&kind=base"))) == 11
    assert {f["properties"]["kind"] for f in features(client_in.get("/api/grids/?kind=religious_site"))} == {"religious_site"}
    # A small box at the temple picks the grids around it only.
    near = features(client_in.get("/api/grids/?bbox=121.4448,31.2228,121.4452,31.2232&level=4"))
    assert 1 <= len(near) <= 4
    assert features(client_in.get("/api/grids/?bbox=100,20,100.1,20.1")) == []


@pytest.mark.parametrize("query", ["bbox=1,2,3", "bbox=a,b,c,d", "bbox=3,3,1,1", "kind=castle", "parent=x",
                                   "date=yesterday", "tolerance=5"])
def test_bad_filters_are_400_with_reason(client_in, demo_grids, query):
    resp = client_in.get(f"/api/grids/?{query}")
    assert resp.status_code == 400
    assert json.loads(resp.content)


def test_grids_need_login(client, demo_grids):
    assert client.get("/api/grids/").status_code in (401, 403)


def test_detail_children_ancestors_coverage(client_in, demo_grids):
    community = demo_grids["310106013001"]
    detail = client_in.get(f"/api/grids/{community.pk}/").json()
    assert detail["properties"]["code"] == "310106013001"
    assert detail["properties"]["area_m2"] > 10_000
    assert [a["code"] for a in detail["properties"]["ancestors"]] == ["310106013000"]
    children = features(client_in.get(f"/api/grids/{community.pk}/children/"))
    assert all(f["properties"]["code"].startswith("310106013001") for f in children) and children
    micro = demo_grids[children[0]["properties"]["code"]]
    assert [a["code"] for a in client_in.get(f"/api/grids/{micro.pk}/ancestors/").json()] == ["310106013000", "310106013001"]
    cov = client_in.get(f"/api/grids/{community.pk}/coverage/").json()
    assert cov["complete"] and cov["gaps"] == [] and cov["overlaps"] == []
    assert client_in.get("/api/grids/999999/").status_code == 404


def test_openapi_schema_lists_grid_routes(client_in):
    resp = client_in.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    assert "/api/grids/" in json.loads(resp.content)["paths"]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_export_formats_read_back(client_in, demo_grids, fmt, tmp_path):
    import pyogrio
    resp = client_in.get(f"/api/grids/export/?format={fmt}&level=4")
    assert resp.status_code == 200
    path = tmp_path / f"out.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(resp.content)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 37
    assert any("微网格" in n for n in frame["name"])


def test_gpkg_export_writes_validity_dates_as_date_time_fields(client_in, demo_grids, tmp_path):
    import pyogrio

    from layers.grids.models import Grid

    resp = client_in.get("/api/grids/export/?format=gpkg&level=4")
    path = tmp_path / "out.gpkg"
    path.write_bytes(resp.content)
    info = pyogrio.read_info(path)
    types = dict(zip(info["fields"], info["dtypes"]))
    assert types["valid_from"].startswith("datetime64") and types["valid_to"].startswith("datetime64"), types
    frame = pyogrio.read_dataframe(path)
    row = frame.iloc[0]
    grid = Grid.objects.get(code=row["code"])
    assert row["valid_from"].date() == grid.valid_from
