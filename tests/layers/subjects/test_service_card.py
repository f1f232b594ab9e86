import pytest

from layers.staff.models import Role
from layers.staff.services import staff_profile_set

from tests.support import G1

pytestmark = pytest.mark.django_db

PUBLIC_KEYS = {"name", "photo_url", "public_phone", "pledge", "role", "role_label"}


@pytest.fixture
def staffed(world, make_user):
    g1 = world["grids"][G1]
    shown = world["users"]["member"]
    staff_profile_set(user=shown, display_name="王网格", public_phone="021-60000001", pledge="有事找我", show_publicly=True)
    hidden = make_user("t-hidden", Role.GRID_MEMBER, g1)
    staff_profile_set(user=hidden, display_name="不公开", public_phone="021-60000002", show_publicly=False)
    chief = world["users"]["chief"]
    staff_profile_set(user=chief, display_name="李站长", public_phone="021-60000003", show_publicly=True)
    return world


def test_card_by_point_shows_grid_station_and_consenting_staff_only(staffed, client):
    g1 = staffed["grids"][G1]
    p = g1.geometry.point_on_surface
    r = client.get(f"/api/service-card/?lon={p.x}&lat={p.y}")
    assert r.status_code == 200, r.content
    card = r.json()
    assert card["grid"] == {"code": G1, "name": g1.name}
    assert card["station"]["name"] == g1.station.name
    names = [s["name"] for s in card["staff"]]
    assert names == ["李站长", "王网格"]
    assert all(set(s) == PUBLIC_KEYS for s in card["staff"])
    assert "不公开" not in r.content.decode()
    assert set(card) == {"grid", "station", "staff"}
    assert "测试甲" not in r.content.decode()  # subjects are never on the card


def test_card_by_address_text(staffed, client):
    r = client.get("/api/service-card/", {"address": "测试路001弄600号"})
    assert r.status_code == 200, r.content
    assert r.json()["grid"]["code"] == G1
    assert r.json()["matched_address"].startswith("静安区测试路001弄")


def test_card_refuses_bad_input_with_a_reason(staffed, client):
    assert client.get("/api/service-card/").status_code == 400
    assert client.get("/api/service-card/?lon=abc&lat=31").status_code == 400
    assert client.get("/api/service-card/?lon=0&lat=0").status_code == 400
    assert client.get("/api/service-card/?lon=121.0&lat=31.0").status_code == 404  # in China, no grid
    assert client.get("/api/service-card/", {"address": "完全不存在的地方xyz"}).status_code == 404


def test_service_card_page_is_public(client):
    r = client.get("/service-card/")
    assert r.status_code == 200
    assert b"<form" in r.content


def test_service_card_page_shows_the_card_for_an_address(staffed, client):
    r = client.get("/service-card/", {"address": "测试路001弄600号"})
    html = r.content.decode()
    assert r.status_code == 200 and "王网格" in html and "不公开" not in html


def test_subjects_page_is_scoped_and_masked(world, client_for, client):
    assert client.get("/subjects/").status_code == 302  # login first
    html = client_for(world["users"]["member"]).get("/subjects/").content.decode()
    assert "测试甲" in html and "测试乙" not in html
    assert "139****5678" in html and "13912345678" not in html and 'class="reveal"' in html
    r = client_for(world["users"]["leader"]).get("/subjects/")
    assert r.status_code == 403 and "测试乙" not in r.content.decode()
