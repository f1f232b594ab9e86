import datetime as dt
import json

import pytest
from django.contrib.gis.geos import Polygon

from layers.addresses.services import address_create
from layers.grids.services import grid_create, grid_update

pytestmark = pytest.mark.django_db
IN_DEMO = (121.4452, 31.2221)


@pytest.fixture
def client_in(client, make_user):
    client.force_login(make_user("locator"))
    return client


def test_locate_returns_the_contract_fields(client_in, demo_grids):
    r = client_in.get("/api/locate/", {"lon": IN_DEMO[0], "lat": IN_DEMO[1]})
    assert r.status_code == 200
    d = r.json()
    assert set(d) >= {"grid", "chain", "special", "near_boundary", "edge_distance_m"}
    assert set(d["grid"]) == {"id", "code", "name", "level"}
    assert d["chain"][0] == d["grid"] and d["chain"][-1]["level"] == 2
    assert [c["level"] for c in d["chain"]] == sorted((c["level"] for c in d["chain"]), reverse=True)
    assert all(set(s) == {"id", "code", "name", "kind"} for s in d["special"])
    assert isinstance(d["near_boundary"], bool) and isinstance(d["edge_distance_m"], (int, float))


def test_locate_outside_every_grid_is_404_with_detail(client_in, demo_grids):
    r = client_in.get("/api/locate/", {"lon": 116.4, "lat": 39.9})
    assert r.status_code == 404 and "detail" in r.json()


@pytest.mark.parametrize("params", [{"lon": "abc", "lat": "31"}, {"lon": "2.35", "lat": "48.85"},
                                    {"lon": "121.4", "lat": "nan"}, {"lon": "121.4"}, {"lon": "121.4", "lat": "31.2", "crs": "utm"},
                                    {"lon": "121.4", "lat": "31.2", "date": "yesterday"}])
def test_locate_bad_input_is_400_with_reason(client_in, params):
    r = client_in.get("/api/locate/", params)
    assert r.status_code == 400 and r.json()["detail"]


def test_locate_needs_login(client):
    assert client.get("/api/locate/", {"lon": IN_DEMO[0], "lat": IN_DEMO[1]}).status_code == 401


def test_batch_post_answers_in_order_with_null_for_gaps(client_in, demo_grids):
    single = client_in.get("/api/locate/", {"lon": IN_DEMO[0], "lat": IN_DEMO[1]}).json()
    body = {"crs": "wgs84", "points": [list(IN_DEMO), [116.4, 39.9], list(IN_DEMO)]}
    r = client_in.post("/api/locate/", json.dumps(body), content_type="application/json")
    assert r.status_code == 200
    results = r.json()["results"]
    assert results[0] == single and results[1] is None and results[2] == single


def test_batch_post_refuses_bad_points_and_too_many(client_in):
    r = client_in.post("/api/locate/", json.dumps({"points": [[121.4, 31.2], [500, 31]]}), content_type="application/json")
    assert r.status_code == 400 and "1" in r.json()["detail"]
    r = client_in.post("/api/locate/", json.dumps({"points": [[121.4, 31.2]] * 10_001}), content_type="application/json")
    assert r.status_code == 400
    assert client_in.post("/api/locate/", "not json", content_type="application/json").status_code == 400


def test_address_search_tolerates_full_width_digits_and_variants(client_in, demo_grids):
    a = address_create(full_text="上海市静安区南京西路1238弄3号楼402室", lon=IN_DEMO[0], lat=IN_DEMO[1])
    address_create(full_text="上海市静安区华山路88号", lon=IN_DEMO[0], lat=IN_DEMO[1])
    r = client_in.get("/api/locate/", {"address": "南京西路１２３８弄３幢４０２室"})
    assert r.status_code == 200
    best = r.json()["results"][0]
    assert best["id"] == a.pk and best["score"] > 0.9
    assert best["grid"]["id"] == a.grid_id and best["chain"][0]["id"] == a.grid_id


def test_locate_on_a_past_date_uses_the_boundary_valid_then(client_in):
    start = dt.date(2025, 1, 1)
    root = grid_create(parent=None, level=2, name="历史街道", code="310999002000",
                       geometry=Polygon.from_bbox((120, 30, 120.01, 30.01)), valid_from=start)
    west = grid_create(parent=root, level=4, name="西", geometry=Polygon.from_bbox((120, 30, 120.005, 30.01)), valid_from=start)
    east = grid_create(parent=root, level=4, name="东", geometry=Polygon.from_bbox((120.005, 30, 120.01, 30.01)), valid_from=start)
    grid_update(grid=west, geometry=Polygon.from_bbox((120, 30, 120.004, 30.01)))
    grid_update(grid=east, geometry=Polygon.from_bbox((120.004, 30, 120.01, 30.01)))
    point = {"lon": 120.0045, "lat": 30.005}
    assert client_in.get("/api/locate/", point).json()["grid"]["id"] == east.pk
    assert client_in.get("/api/locate/", {**point, "date": "2025-06-01"}).json()["grid"]["id"] == west.pk
    assert client_in.get("/api/locate/", {**point, "date": "2024-06-01"}).status_code == 404
