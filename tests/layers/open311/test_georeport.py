"""Open311 GeoReport v2: a hotline's client session in the spec's formats, over real HTTP."""
import json
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from layers.incidents.models import Incident, IncidentEvent, Source
from layers.incidents.services import incident_transition
from layers.incidents.taxonomy import DEFAULT_TAXONOMY, taxonomy_ensure
from layers.open311.services import client_create

GRID = "310106013001001"


@pytest.fixture
def hotline(db, demo_grids):
    taxonomy_ensure()
    client, key = client_create(name="12345 市民服务热线")
    return client, key


def inside(grid):
    p = grid.geometry.point_on_surface
    return round(p.x, 7), round(p.y, 7)


def form_post(c, url, data):
    return c.post(url, urllib.parse.urlencode(data), content_type="application/x-www-form-urlencoded")


def test_services_are_the_leaf_types_of_the_taxonomy_in_json_and_xml(hotline):
    c = Client()
    services = c.get("/open311/v2/services.json").json()
    leaves = {code for _, _, _, _, children in DEFAULT_TAXONOMY for code, *_ in children}
    assert {s["service_code"] for s in services} == leaves
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)
    root = ET.fromstring(c.get("/open311/v2/services.xml").content)
    assert root.tag == "services" and {e.findtext("service_code") for e in root} == leaves


def test_a_posted_request_enters_the_intake_and_reads_back_with_its_status(hotline, demo_grids, make_user):
    client, key = hotline
    lon, lat = inside(demo_grids[GRID])
    c = Client()
    r = form_post(c, "/open311/v2/requests.json", {"api_key": key, "service_code": "PF01", "lat": lat, "long": lon,
                                                   "description": "井盖缺失", "email": "someone@example.com"})
    assert r.status_code == 201, r.content
    posted = r.json()[0]
    incident = Incident.objects.get(ref=posted["service_request_id"])
    assert incident.source == Source.HOTLINE_12345 and incident.grid.code == GRID and incident.type.code == "PF01"
    assert IncidentEvent.objects.filter(incident=incident, kind="created").exists()
    assert "someone@example.com" not in json.dumps(list(Incident.objects.filter(pk=incident.pk).values()), default=str)
    back = c.get(f"/open311/v2/requests/{posted['service_request_id']}.json?api_key={key}").json()[0]
    assert back["status"] == "open" and back["service_code"] == "PF01"
    assert back["lat"] == pytest.approx(lat) and back["long"] == pytest.approx(lon)
    token = c.get(f"/open311/v2/tokens/{posted['token']}.json?api_key={key}").json()[0]
    assert token["service_request_id"] == posted["service_request_id"]
    # the workflow closes it: Open311 says closed, with the workflow's words
    head = make_user("head-x", "grid_head", demo_grids[GRID])
    for to in ("accepted", "dispatched", "in_progress", "resolved"):
        incident_transition(incident=incident, user=head, to=to)
    xml = ET.fromstring(c.get(f"/open311/v2/requests/{posted['service_request_id']}.xml?api_key={key}").content)
    assert xml.find("request/status").text == "closed" and xml.find("request/status_notes").text
    assert xml.find("request/agency_responsible").text
    listed = c.get(f"/open311/v2/requests.json?api_key={key}&status=closed").json()
    assert [r["service_request_id"] for r in listed] == [posted["service_request_id"]]
    assert c.get(f"/open311/v2/requests.json?api_key={key}&status=open").json() == []


def test_the_client_declares_its_source_and_sees_only_its_own_requests(hotline, demo_grids):
    _, key = hotline
    platform, other_key = client_create(name="数字城管平台", source=Source.DEPARTMENT)
    lon, lat = inside(demo_grids[GRID])
    c = Client()
    mine = form_post(c, "/open311/v2/requests.json", {"api_key": key, "service_code": "CA03", "lat": lat,
                                                      "long": lon, "description": "垃圾满溢"}).json()[0]
    theirs = form_post(c, "/open311/v2/requests.json", {"api_key": other_key, "service_code": "CA03", "lat": lat,
                                                        "long": lon, "description": "垃圾"}).json()[0]
    assert Incident.objects.get(ref=theirs["service_request_id"]).source == Source.DEPARTMENT
    assert [r["service_request_id"] for r in c.get(f"/open311/v2/requests.json?api_key={key}").json()] == \
        [mine["service_request_id"]]
    assert c.get(f"/open311/v2/requests/{theirs['service_request_id']}.json?api_key={key}").status_code == 404


def test_bad_requests_get_the_spec_error_format(hotline):
    _, key = hotline
    c = Client()
    cases = [({"service_code": "PF01", "lat": 31.2, "long": 121.4}, 403),
             ({"api_key": "nope", "service_code": "PF01", "lat": 31.2, "long": 121.4}, 403),
             ({"api_key": key, "lat": 31.2, "long": 121.4}, 400),
             ({"api_key": key, "service_code": "ZZ99", "lat": 31.2, "long": 121.4}, 404),
             ({"api_key": key, "service_code": "PF01", "lat": "north", "long": 121.4}, 400),
             ({"api_key": key, "service_code": "PF01"}, 400),
             ({"api_key": key, "service_code": "PF01", "lat": 10, "long": 1, "description": "x"}, 400)]
    before = Incident.objects.count()
    for data, status in cases:
        r = form_post(c, "/open311/v2/requests.json", data)
        assert r.status_code == status, (data, r.content)
        assert r.json()[0]["code"] == status and r.json()[0]["description"]
    xml = ET.fromstring(form_post(c, "/open311/v2/requests.xml", {"api_key": key}).content)
    assert xml.tag == "errors" and xml.find("error/description").text
    assert Incident.objects.count() == before
    assert c.get(f"/open311/v2/requests.json?api_key={key}&start_date=soon").status_code == 400


def test_request_lists_page(hotline, demo_grids):
    _, key = hotline
    lon, lat = inside(demo_grids[GRID])
    c = Client()
    for i in range(5):
        form_post(c, "/open311/v2/requests.json", {"api_key": key, "service_code": "CA01", "lat": lat, "long": lon,
                                                   "description": f"第{i}件"})
    seen, url = [], f"/open311/v2/requests.json?api_key={key}&page_size=2"
    while url:
        r = c.get(url)
        assert r["X-Total-Count"] == "5"
        seen += [x["service_request_id"] for x in r.json()]
        url = r.get("Link", "").split(">")[0].lstrip("<") or None
    assert len(seen) == len(set(seen)) == 5


def test_a_client_session_over_http(live_server, demo_grids, db):
    """What a hotline system does, with urllib: list services, post (form-encoded), read back in XML."""
    taxonomy_ensure()
    _, key = client_create(name="12345")
    base = live_server.url + "/open311/v2"
    services = json.load(urllib.request.urlopen(f"{base}/services.json"))
    code = services[0]["service_code"]
    lon, lat = inside(demo_grids[GRID])
    body = urllib.parse.urlencode({"api_key": key, "service_code": code, "lat": lat, "long": lon,
                                   "address_string": "胶州路1号", "description": "楼道堆物"}).encode()
    req = urllib.request.Request(f"{base}/requests.json", data=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 201
        posted = json.load(r)[0]
    with urllib.request.urlopen(f"{base}/requests/{posted['service_request_id']}.xml?api_key={key}") as r:
        assert r.headers["Content-Type"].startswith("text/xml")
        got = ET.fromstring(r.read())
    assert got.find("request/service_code").text == code and got.find("request/address").text == "胶州路1号"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{base}/requests/{posted['service_request_id']}.json?api_key=wrong")
    assert e.value.code == 403
