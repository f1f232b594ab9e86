"""Personal API tokens: shown once, stored as a hash, revocable, usable as Bearer or as the
basic-auth password; anonymous API requests are challenged with 401 + WWW-Authenticate."""
import base64

import pytest
from rest_framework.test import APIClient

from layers.staff.models import ApiToken


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def owner(make_user):
    return make_user("token-owner")


def create_token(user, name="qgis"):
    c = APIClient()
    c.force_login(user)
    r = c.post("/api/tokens/", {"name": name}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def test_token_is_shown_once_and_only_its_hash_is_stored(owner):
    body = create_token(owner)
    raw = body["token"]
    assert raw.startswith("ggt_") and len(raw) > 40
    row = ApiToken.objects.get(pk=body["id"])
    assert raw not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    c = APIClient()
    c.force_login(owner)
    listed = c.get("/api/tokens/").json()
    assert [t["id"] for t in listed] == [body["id"]]
    assert raw not in str(listed) and "token" not in listed[0]


def test_bearer_and_basic_with_token_password_authenticate(owner):
    raw = create_token(owner)["token"]
    owner.set_unusable_password()  # a token check never looks at the password
    owner.save()
    me = APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["username"] == "token-owner"
    me = APIClient().get("/api/me/", HTTP_AUTHORIZATION=basic("token-owner", raw))
    assert me.status_code == 200 and me.json()["username"] == "token-owner"
    assert ApiToken.objects.get(user=owner).last_used_at is not None


def test_token_under_another_username_or_wrong_token_is_401(owner, make_user):
    raw = create_token(owner)["token"]
    make_user("someone-else")
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION=basic("someone-else", raw)).status_code == 401
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {raw}x").status_code == 401
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION="Bearer a b").status_code == 401
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION="Bearer \u00e9t\u00e9").status_code == 401


def test_revoked_token_stops_working_and_only_the_owner_can_revoke(owner, make_user):
    body = create_token(owner)
    other = APIClient()
    other.force_login(make_user("intruder"))
    assert other.delete(f"/api/tokens/{body['id']}/").status_code == 404
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200
    c = APIClient()
    c.force_login(owner)
    assert c.delete(f"/api/tokens/{body['id']}/").status_code == 204
    r = APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert r.status_code == 401
    assert c.get(f"/api/tokens/{body['id']}/").json()["revoked"] is True


def test_inactive_user_token_is_refused(owner):
    raw = create_token(owner)["token"]
    owner.is_active = False
    owner.save()
    assert APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_token_cannot_mint_another_token(owner):
    raw = create_token(owner)["token"]
    r = APIClient().post("/api/tokens/", {"name": "more"}, format="json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 403
    assert ApiToken.objects.filter(user=owner).count() == 1


def test_token_name_too_long_is_400(owner):
    c = APIClient()
    c.force_login(owner)
    r = c.post("/api/tokens/", {"name": "x" * 101}, format="json")
    assert r.status_code == 400 and "name" in r.json()


@pytest.mark.parametrize("url", ["/api/me/", "/api/tokens/", "/api/grids/", "/api/incidents/"])
def test_anonymous_api_request_is_challenged_with_401(db, url):
    r = APIClient().get(url)
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == 'Basic realm="geogrid", Bearer realm="geogrid"'


def test_password_basic_auth_still_works(make_user):
    make_user("pw-user")
    r = APIClient().get("/api/me/", HTTP_AUTHORIZATION=basic("pw-user", "pw-pw-user"))
    assert r.status_code == 200


def test_locate_accepts_a_token_and_challenges_anonymous(owner, demo_grids):
    raw = create_token(owner)["token"]
    params = {"lon": 121.4452, "lat": 31.2221}
    anon = APIClient().get("/api/locate/", params)
    assert anon.status_code == 401 and anon["WWW-Authenticate"] == 'Basic realm="geogrid", Bearer realm="geogrid"'
    assert APIClient().get("/api/locate/", params, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert APIClient().get("/api/locate/", params, HTTP_AUTHORIZATION=f"Bearer {raw}0").status_code == 401
