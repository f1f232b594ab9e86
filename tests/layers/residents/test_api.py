"""Resident reports without login: intake with a tracking code, rate limit, status by code, one
rating once closed; and the service card's scored candidates for a vague address."""
import pytest

from layers.incidents.models import Incident, Rating
from layers.incidents.services import incident_transition
from layers.incidents.taxonomy import taxonomy_ensure
from layers.residents.models import PublicReport
from layers.staff.models import Role

G1 = "310106013001001"

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(demo_grids):
    taxonomy_ensure()
    p = demo_grids[G1].geometry.point_on_surface
    return round(p.x, 7), round(p.y, 7)


def report(client, place, **extra):
    body = {"type": "CA03", "description": "垃圾桶满了没人清", "lon": place[0], "lat": place[1], **extra}
    return client.post("/api/public/reports/", body, content_type="application/json")


def close(incident, head):
    for to in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        incident_transition(incident=incident, user=head, to=to, note="已处理" if to == "resolved" else "")


def test_a_resident_reports_follows_and_rates_once(client, place, make_user, demo_grids):
    r = report(client, place)
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert len(code) == 12 and code.isalnum()
    incident = PublicReport.objects.get(code=code).incident
    assert incident.source == "resident" and incident.reporter is None and incident.grid.code == G1
    status = client.get(f"/api/public/reports/{code}/").json()
    assert status["status"] == "reported" and status["can_rate"] is False
    # Nothing about staff: no actor, no user name anywhere in the answer.
    head = make_user("r-head", Role.GRID_HEAD, demo_grids[G1], first_name="晓", last_name="何")
    too_early = client.post(f"/api/public/reports/{code}/rating/", {"score": 5}, content_type="application/json")
    assert too_early.status_code == 409 and too_early.json()["rule"] == "rating_too_early"
    close(incident, head)
    status = client.get(f"/api/public/reports/{code}/").json()
    assert status["status"] == "closed" and status["can_rate"] is True
    assert "r-head" not in str(status) and "何晓" not in str(status)
    assert [s["status"] for s in status["steps"]][-1] == "closed"
    rated = client.post(f"/api/public/reports/{code}/rating/", {"score": 4, "note": "很快"}, content_type="application/json")
    assert rated.status_code == 201 and rated.json()["rating"] == {"score": 4}
    again = client.post(f"/api/public/reports/{code}/rating/", {"score": 1}, content_type="application/json")
    assert again.status_code == 409 and again.json()["rule"] == "rating_twice"
    assert Rating.objects.filter(incident=incident).count() == 1


def test_codes_are_unguessable_and_unknown_codes_are_404(client, place):
    codes = {report(client, place).json()["code"] for _ in range(3)}
    assert len(codes) == 3
    assert client.get("/api/public/reports/AAAAAAAAAAAA/").status_code == 404
    assert client.post("/api/public/reports/AAAAAAAAAAAA/rating/", {"score": 3},
                       content_type="application/json").status_code == 404


def test_reports_are_rate_limited_per_sender(client, place, settings):
    settings.GEOGRID_PUBLIC_REPORTS_PER_HOUR = 2
    assert [report(client, place).status_code for _ in range(2)] == [201, 201]
    third = report(client, place)
    assert third.status_code == 429 and third.json()["detail"] and third["Retry-After"] == "3600"
    assert PublicReport.objects.count() == 2
    # Another sender is not held back.
    other = client.post("/api/public/reports/", {"type": "CA03", "description": "另一个", "lon": place[0], "lat": place[1]},
                        content_type="application/json", REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 201


def test_bad_reports_get_reasons_and_store_nothing(client, place):
    before = Incident.objects.count()
    for bad in ({"type": "CA03", "description": "", "lon": place[0], "lat": place[1]},
                {"type": "nope", "description": "x", "lon": place[0], "lat": place[1]},
                {"type": "CA03", "description": "x"},
                {"type": "CA03", "description": "x", "lon": 0, "lat": 0},
                {"type": "CA03", "description": "x", "address": "not-an-id"}):
        r = client.post("/api/public/reports/", bad, content_type="application/json")
        assert r.status_code == 400 and r.json()["detail"], (bad, r.content)
    assert Incident.objects.count() == before and PublicReport.objects.count() == 0


def test_a_rating_needs_a_score_from_1_to_5(client, place, make_user, demo_grids):
    code = report(client, place).json()["code"]
    close(PublicReport.objects.get(code=code).incident, make_user("r-head2", Role.GRID_HEAD, demo_grids[G1]))
    bad = client.post(f"/api/public/reports/{code}/rating/", {"score": 9}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["rule"] == "rating_score"
    assert PublicReport.objects.get(code=code).rated_at is None


def test_a_vague_address_lists_scored_candidates_and_each_gives_its_card(client, demo_grids):
    from layers.addresses.services import address_create

    g1, g2 = demo_grids[G1], demo_grids["310106013001002"]
    a1 = address_create(full_text="上海市静安区测试大道88弄1号", lon=g1.geometry.point_on_surface.x,
                        lat=g1.geometry.point_on_surface.y, households=10)
    a2 = address_create(full_text="上海市静安区测试大道88弄2号", lon=g2.geometry.point_on_surface.x,
                        lat=g2.geometry.point_on_surface.y, households=10)
    page = client.get("/service-card/", {"address": "测试大道88弄"}).content.decode()
    # Two equally good matches in different grids: a choice, with scores, not one arbitrary card.
    assert f'data-address="{a1.pk}"' in page and f'data-address="{a2.pk}"' in page and "%" in page
    assert g1.name not in page.split("data-candidates")[0]
    card = client.get("/service-card/", {"address_id": a2.pk}).content.decode()
    assert g2.name in card and "测试大道88弄2号" in card
    api = client.get("/api/service-card/", {"address": "测试大道88弄"}).json()
    assert {c["id"] for c in api["candidates"]} >= {a1.pk, a2.pk} and api["clear"] is False
    assert all(0 < c["score"] <= 1 for c in api["candidates"])
    cands = client.get("/api/public/addresses/", {"q": "测试大道88弄2号"}).json()["candidates"]
    assert cands[0]["id"] == a2.pk and cands[0]["grid"]["code"] == g2.code
