"""The one error channel (layers/core/middleware.py, layers/core/api.py): a broken rule is Chinese
JSON for the API and geogrid's own error page for pages, with the rule's status."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(make_user, demo_grids):
    return make_user("leader-err", role="street_leader", grid=demo_grids["310106013000"])


def test_a_page_gets_geogrids_error_page_with_the_reason(client, leader):
    client.force_login(leader)
    r = client.get("/maps/coverage/?metric=bogus")
    assert r.status_code == 400 and r["Content-Type"].startswith("text/html")
    body = r.content.decode()
    assert "无法完成此请求" in body and "bogus" in body and 'class="topbar"' in body


def test_a_plain_api_view_gets_chinese_json_with_the_rule(client, make_user):
    client.force_login(make_user("locator-err"))
    r = client.get("/api/locate/", {"lon": "abc", "lat": "31"})
    assert r.status_code == 400 and r["Content-Type"] == "application/json"
    d = r.json()
    assert d["rule"] == "coordinates" and any("\u4e00" <= ch <= "\u9fff" for ch in d["detail"])


def test_unknown_pages_get_geogrids_not_found_page(client, leader):
    client.force_login(leader)
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and "未找到" in r.content.decode()
