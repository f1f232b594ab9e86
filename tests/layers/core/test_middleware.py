import pytest

pytestmark = pytest.mark.django_db


def test_chinese_by_default_even_for_an_english_browser(client, make_user):
    client.force_login(make_user("reader"))
    resp = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert resp["Content-Language"] == "zh-hans"
    assert "网格化管理" in resp.content.decode()


def test_english_when_the_user_chooses_it(client, make_user):
    client.force_login(make_user("reader"))
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302
    page = client.get("/").content.decode()
    assert "grid governance" in page and "网格化管理" not in page
