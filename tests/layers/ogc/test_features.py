"""OGC API - Features at /ogc/: the contract GDAL and QGIS rely on, paging, CRS axis order, filters, scope."""
import base64
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from layers.grids.models import Grid, GridKind

GRID_A, GRID_B = "310106013001001", "310106013001002"  # neighbours in one community

pytestmark = pytest.mark.django_db

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


@pytest.fixture
def admin_client(make_user):
    c = Client()
    c.force_login(make_user("ogc-admin", is_superuser=True))
    return c


def walk(client, url):
    """Follow `next` links to the end: (features, numberMatched of the first page, pages)."""
    features, pages, matched = [], 0, None
    while url:
        body = client.get(url).json()
        matched = body["numberMatched"] if matched is None else matched
        assert body["numberReturned"] == len(body["features"])
        features += body["features"]
        pages += 1
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    return features, matched, pages


def test_unauthenticated_requests_get_a_basic_challenge(db):
    for url in ("/ogc/", "/ogc/collections", "/ogc/collections/grids/items", "/tiles/grids/14/0/0.mvt"):
        r = Client().get(url)
        assert r.status_code == 401, url
        assert r["WWW-Authenticate"] == 'Basic realm="geogrid", Bearer realm="geogrid"'


def test_a_personal_token_works_as_bearer_and_as_basic_password(make_user, demo_grids):
    from layers.staff.services import token_create

    user = make_user("gis-staff")
    _, token = token_create(user=user, name="QGIS")
    basic = "Basic " + base64.b64encode(f"gis-staff:{token}".encode()).decode()
    for auth in (f"Bearer {token}", basic):
        r = Client().get("/ogc/collections/grids/items?limit=1", HTTP_AUTHORIZATION=auth)
        assert r.status_code == 200 and r.json()["numberReturned"] == 1
    assert Client().get("/ogc/collections", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_planners_get_no_incident_rows_and_see_no_such_collection(make_user, demo_grids):
    c = Client()
    c.force_login(make_user("ogc-planner", "planner", demo_grids["310106013001"]))
    ids = {x["id"] for x in c.get("/ogc/collections").json()["collections"]}
    assert "incidents" not in ids and "grids" in ids
    assert c.get("/ogc/collections/incidents/items").status_code == 403
    assert c.get("/tiles/incidents/0/0/0.mvt").status_code == 403
    assert c.get("/ogc/collections/coverage/items").status_code == 200


def test_landing_conformance_and_collections_list_every_layer(admin_client, demo_grids):
    landing = admin_client.get("/ogc/").json()
    assert {"conformance", "data"} <= {link["rel"] for link in landing["links"]}
    conf = admin_client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    colls = {c["id"]: c for c in admin_client.get("/ogc/collections").json()["collections"]}
    assert {"grids", "grids-level-3", "grids-level-4", "special", "addresses", "incidents", "coverage"} <= set(colls)
    assert colls["grids"]["limit"] == {"default": 100, "maximum": 10000}
    assert colls["grids"]["storageCrs"] == EPSG4490 and {CRS84, EPSG4326, EPSG4490} <= set(colls["grids"]["crs"])
    assert "level" in admin_client.get("/ogc/collections/grids/queryables").json()["properties"]


def test_paging_walks_every_current_base_grid_once(admin_client, demo_grids):
    features, matched, pages = walk(admin_client, "/ogc/collections/grids/items?limit=7")
    expected = set(Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE).values_list("pk", flat=True))
    assert matched == len(expected) and pages == -(-len(expected) // 7)
    assert [f["id"] for f in features] == sorted(expected)
    second = admin_client.get("/ogc/collections/grids/items?limit=7&offset=7").json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert [f["id"] for f in admin_client.get(prev).json()["features"]] == sorted(expected)[:7]


def test_response_is_geojson_named_with_content_crs(admin_client, demo_grids):
    r = admin_client.get("/ogc/collections/grids/items?limit=2")
    assert r["Content-Type"] == "application/geo+json" and r["Content-Crs"] == f"<{CRS84}>"
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["name"] == "grids"


def test_limit_above_the_maximum_is_cut_to_it_and_bad_input_is_400(admin_client, demo_grids):
    assert admin_client.get("/ogc/collections/grids/items?limit=99999").json()["numberReturned"] == \
        Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE).count()
    for q in ("limit=0", "limit=x", "offset=-1", "bbox=1,2,3", "crs=EPSG:3857", "datetime=yesterday",
              "level=four", "colour=red", "bbox=121.5,31,121.4,31.3"):
        r = admin_client.get(f"/ogc/collections/grids/items?{q}")
        assert r.status_code == 400 and r.json()["description"], q
    assert admin_client.get("/ogc/collections/nope/items").status_code == 404


def test_lat_lon_crs_swap_the_axes_of_crs84(admin_client, demo_grids):
    g = demo_grids[GRID_A]
    lonlat = admin_client.get(f"/ogc/collections/grids/items/{g.pk}").json()["geometry"]["coordinates"][0][0][0]
    for crs in ("EPSG:4326", EPSG4490):
        r = admin_client.get(f"/ogc/collections/grids/items/{g.pk}?crs={crs}")
        latlon = r.json()["geometry"]["coordinates"][0][0][0]
        assert r["Content-Crs"].strip("<>") in (EPSG4326, EPSG4490)
        assert latlon[0] == pytest.approx(lonlat[1], abs=1e-6) and latlon[1] == pytest.approx(lonlat[0], abs=1e-6)
    assert 120 < lonlat[0] < 123 and 30 < lonlat[1] < 32


def test_bbox_in_crs84_and_in_lat_lon_bbox_crs_select_the_same_grids(admin_client, demo_grids):
    x0, y0, x1, y1 = demo_grids[GRID_A].geometry.extent
    lonlat = admin_client.get(f"/ogc/collections/grids/items?level=4&bbox={x0},{y0},{x1},{y1}").json()
    latlon = admin_client.get(f"/ogc/collections/grids/items?level=4&bbox={y0},{x0},{y1},{x1}"
                              f"&bbox-crs={EPSG4326}").json()
    ids = {f["id"] for f in lonlat["features"]}
    assert demo_grids[GRID_A].pk in ids and demo_grids[GRID_B].pk in ids  # B touches A
    assert ids == {f["id"] for f in latlon["features"]}
    assert len(ids) < Grid.objects.filter(level=4, valid_to__isnull=True).count()


def test_level_filter_and_per_level_collection_agree(admin_client, demo_grids):
    a = admin_client.get("/ogc/collections/grids/items?level=4&limit=1000").json()
    b = admin_client.get("/ogc/collections/grids-level-4/items?limit=1000").json()
    assert a["numberMatched"] == b["numberMatched"] == 37
    assert {f["properties"]["level"] for f in a["features"]} == {4}


def test_datetime_gives_the_grids_valid_on_that_date(admin_client, demo_grids):
    g = demo_grids[GRID_A]
    Grid.objects.filter(pk=g.pk).update(valid_from="2025-01-01", valid_to="2026-01-01")
    now = admin_client.get("/ogc/collections/grids/items?limit=1000").json()
    then = admin_client.get("/ogc/collections/grids/items?limit=1000&datetime=2025-06-01").json()
    before = admin_client.get("/ogc/collections/grids/items?datetime=2024-06-01").json()
    assert g.pk not in {f["id"] for f in now["features"]}
    assert g.pk in {f["id"] for f in then["features"]}
    assert then["numberMatched"] == now["numberMatched"] + 1 and before["numberMatched"] == 0
    # one retired grid by id still answers
    assert admin_client.get(f"/ogc/collections/grids/items/{g.pk}").json()["properties"]["valid_to"] == "2026-01-01"


def test_incidents_are_scoped_and_carry_no_personal_details(cases, demo_grids):
    c = Client()
    c.force_login(cases["head"])
    body = c.get("/ogc/collections/incidents/items").json()
    assert {f["id"] for f in body["features"]} == {i.pk for i in cases["mine"]}
    assert body["numberMatched"] == 3
    props = body["features"][0]["properties"]
    assert "description" not in props and "reporter" not in props and "张三" not in str(body)
    assert c.get(f"/ogc/collections/incidents/items/{cases['theirs'][0].pk}").status_code == 404
    assert c.get(f"/ogc/collections/incidents/items/{cases['mine'][0].pk}").status_code == 200
    assert c.get("/ogc/collections/incidents/items?type=PF01").json()["numberMatched"] == 0


def test_coverage_is_scoped_to_the_users_grids(cases, demo_grids):
    c = Client()
    c.force_login(cases["head"])
    body = c.get("/ogc/collections/coverage/items").json()
    assert [f["properties"]["code"] for f in body["features"]] == [GRID_A]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert c.get(f"/ogc/collections/coverage/items/{demo_grids[GRID_B].pk}").status_code == 404


def test_html_pages_render_for_browsers(admin_client, demo_grids):
    r = admin_client.get("/ogc/collections/grids/items?limit=3", HTTP_ACCEPT="text/html")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    assert demo_grids[GRID_A].name.encode() in admin_client.get(
        "/ogc/collections/grids/items?f=html&limit=100").content


def _link(body, rel):
    return next((link["href"] for link in body["links"] if link["rel"] == rel), None)


def test_next_links_carry_a_cursor_and_walk_every_feature_exactly_once_both_ways(admin_client, demo_grids):
    expected = sorted(Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE, level=4)
                      .values_list("pk", flat=True))
    assert len(expected) > 10
    url, pages, seen = "/ogc/collections/grids/items?level=4&limit=4", [], []
    while url:
        body = admin_client.get(url).json()
        assert {f["properties"]["level"] for f in body["features"]} <= {4}
        pages.append(body)
        seen += [f["id"] for f in body["features"]]
        url = _link(body, "next")
        if url:
            assert "cursor=" in url and "offset=" not in url and "level=4" in url
    assert seen == expected and len(pages) == -(-len(expected) // 4)
    assert all(body["numberMatched"] == len(expected) for body in pages)
    # and back from the last page by prev links, the same features in reverse page order
    back, url = [], _link(pages[-1], "prev")
    while url:
        body = admin_client.get(url).json()
        back = [f["id"] for f in body["features"]] + back
        url = _link(body, "prev")
    assert back + [f["id"] for f in pages[-1]["features"]] == expected
    # a page reached by a prev cursor links forward again to the page it came from
    second = admin_client.get(_link(pages[2], "prev")).json()
    assert [f["id"] for f in admin_client.get(_link(second, "next")).json()["features"]] == \
        [f["id"] for f in pages[2]["features"]]


def test_a_cursor_of_another_collection_a_forged_or_mixed_cursor_is_a_400(admin_client, demo_grids):
    first = admin_client.get("/ogc/collections/grids-level-4/items?limit=2").json()
    cursor = parse_qs(urlparse(_link(first, "next")).query)["cursor"][0]
    assert admin_client.get("/ogc/collections/grids-level-4/items", {"cursor": cursor}).status_code == 200
    for cid in ("grids", "addresses", "coverage"):
        r = admin_client.get(f"/ogc/collections/{cid}/items", {"cursor": cursor})
        assert r.status_code == 400 and r.json()["code"] == "cursor_other_collection", cid
    sig = cursor.rpartition(":")[2]
    forged = [cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), "123", "not:a:cursor",
              base64.urlsafe_b64encode(b'["grids-level-4","a",1]').decode().rstrip("=") + ":" + sig]
    for bad in forged:
        r = admin_client.get("/ogc/collections/grids-level-4/items", {"cursor": bad})
        assert r.status_code == 400 and r.json()["code"] == "cursor_invalid", bad
    r = admin_client.get("/ogc/collections/grids-level-4/items", {"cursor": cursor, "offset": 2})
    assert r.status_code == 400 and r.json()["description"]


def test_number_matched_is_exact_up_to_the_threshold_and_left_out_above_it(admin_client, demo_grids, monkeypatch):
    from layers.ogc import selectors

    n = Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE, level=4).count()
    monkeypatch.setattr(selectors, "MATCHED_EXACT_UP_TO", n)
    assert admin_client.get("/ogc/collections/grids-level-4/items?limit=3").json()["numberMatched"] == n
    monkeypatch.setattr(selectors, "MATCHED_EXACT_UP_TO", n - 1)
    features, url = [], "/ogc/collections/grids-level-4/items?limit=3"
    while url:
        body = admin_client.get(url).json()
        assert "numberMatched" not in body
        features += body["features"]
        url = _link(body, "next")
    assert len({f["id"] for f in features}) == len(features) == n
    # a first page that holds the whole selection counts itself
    assert admin_client.get(f"/ogc/collections/grids-level-4/items?limit={n}").json()["numberMatched"] == n
    html = admin_client.get("/ogc/collections/grids-level-4/items?limit=3&f=html").content.decode()
    assert f"本页 3 个要素；符合条件的超过 {n - 1} 个" in html and html.count("<tr><td>") == 3
    monkeypatch.setattr(selectors, "MATCHED_EXACT_UP_TO", n)
    assert f"共 {n} 个要素，本页 3 个" in admin_client.get(
        "/ogc/collections/grids-level-4/items?limit=3&f=html").content.decode()
