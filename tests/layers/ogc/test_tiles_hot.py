"""The hot path of grid tiles (geogrid/hotpath.py, layers/ogc/tiles.py hot_grid_tile), called as
gunicorn calls the WSGI application: it answers only the exact credentials the tile view answered,
with the view's bytes, ETag and headers, and stops the moment anything the caller's scope rests
on changes (an assignment, a token, an account, a logout, a grid)."""
import gzip

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory

from geogrid import hotpath
from geogrid.wsgi import application, django_application
from layers.grids.models import Grid
from layers.ogc import tiles
from layers.staff.authstate import auth_state_token
from layers.staff.models import ApiToken, Assignment
from layers.staff.services import token_create, token_revoke
from tests.support import GRID_A, GRID_B, decode_tile, tile_of, wsgi_call

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_caches():
    hotpath._learned.clear()
    tiles._hot.clear()
    yield
    hotpath._learned.clear()
    tiles._hot.clear()


def cookie_of(user) -> str:
    c = Client()
    c.force_login(user)
    return "sessionid=" + c.cookies["sessionid"].value


def url(layer="grids", z=12):
    a = Grid.objects.get(code=GRID_A).geometry.point_on_surface
    x, y = tile_of(a.x, a.y, z)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt", (z, x, y)


def served_hot(path, query=None, cookie="", **headers) -> bool:
    environ = RequestFactory().get(path, query or {}, HTTP_COOKIE=cookie, **headers).environ
    return hotpath._serve(environ, lambda *a: None) is not None


def test_a_grid_tile_is_served_hot_with_the_views_bytes_etag_and_headers(figures):
    path, _zxy = url()
    cookie = cookie_of(figures["head"])
    level = {"level": "4"}
    assert not served_hot(path, level, cookie)               # unknown caller: Django decides
    first = wsgi_call(application, path, level, cookie)      # through Django: plan kept, headers learned
    assert first[0] == "200 OK" and first[2]
    assert served_hot(path, level, cookie)
    again = wsgi_call(application, path, level, cookie)
    django = wsgi_call(django_application, path, level, cookie)
    assert again[2] == django[2] == first[2]
    assert again[1]["ETag"] == django[1]["ETag"]
    assert {k: v for k, v in again[1].items() if k != "Content-Length"} == \
        {k: v for k, v in django[1].items() if k != "Content-Length" and k != "Set-Cookie"}
    # revalidation is answered hot too, and only for this tile's ETag
    assert served_hot(path, level, cookie, HTTP_IF_NONE_MATCH=first[1]["ETag"])
    status, headers, body = wsgi_call(application, path, level, cookie, HTTP_IF_NONE_MATCH=first[1]["ETag"])
    assert status == "304 Not Modified" and body == b"" and headers["ETag"] == first[1]["ETag"]
    assert wsgi_call(application, path, level, cookie, HTTP_IF_NONE_MATCH='"other"')[0] == "200 OK"
    # another level is another plan: Django first
    assert not served_hot(path, {"level": "3"}, cookie)


def test_a_hot_tile_is_compressed_for_a_client_that_asks(figures):
    path, _zxy = url()
    cookie = cookie_of(figures["leader"])
    plain = wsgi_call(application, path, {"level": "4"}, cookie)[2]
    status, headers, body = wsgi_call(application, path, {"level": "4"}, cookie, HTTP_ACCEPT_ENCODING="gzip")
    assert served_hot(path, {"level": "4"}, cookie, HTTP_ACCEPT_ENCODING="gzip")
    assert status == "200 OK" and headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == plain
    assert "Accept-Encoding" in headers["Vary"]


def test_another_callers_credentials_never_get_a_remembered_plan(figures, make_user, tmp_path):
    path, (z, x, y) = url()
    head, leader = cookie_of(figures["head"]), cookie_of(figures["leader"])
    mine = wsgi_call(application, path, {"level": "4"}, head)
    assert served_hot(path, {"level": "4"}, head)
    assert not served_hot(path, {"level": "4"}, leader)
    theirs = wsgi_call(application, path, {"level": "4"}, leader)
    assert theirs[2] != mine[2] and theirs[1]["ETag"] != mine[1]["ETag"]
    # the head's cookie beside someone else's credentials is other credentials
    _obj, token = token_create(user=make_user("tile-other"))
    assert not served_hot(path, {"level": "4"}, head, HTTP_AUTHORIZATION=f"Bearer {token}")
    # and no credentials at all is Django's 401
    assert not served_hot(path, {"level": "4"})
    assert wsgi_call(application, path, {"level": "4"})[0].startswith("401")
    # the head reads figures of grid A only, the leader of A and B
    head_df = decode_tile(mine[2], tmp_path / "h", z, x, y, "grids").set_index("code")
    lead_df = decode_tile(theirs[2], tmp_path / "l", z, x, y, "grids").set_index("code")
    assert head_df.loc[GRID_A, "staff"] >= 1 and head_df["staff"].isna().loc[GRID_B]
    assert not lead_df["staff"].isna().loc[GRID_B]


def test_a_reassignment_reaches_the_hot_path_at_once(figures, tmp_path):
    path, (z, x, y) = url()
    cookie = cookie_of(figures["head"])
    wsgi_call(application, path, {"level": "4"}, cookie)
    assert served_hot(path, {"level": "4"}, cookie)
    Assignment.objects.filter(user=figures["head"]).update(active=False)
    assert not served_hot(path, {"level": "4"}, cookie)
    status, _headers, body = wsgi_call(application, path, {"level": "4"}, cookie)
    df = decode_tile(body, tmp_path, z, x, y, "grids").set_index("code")
    assert status == "200 OK" and GRID_A in df.index and "staff" not in df.columns  # no figures any more


def test_a_revoked_token_or_an_ended_session_is_refused_at_once(figures):
    path, _zxy = url()
    obj, token = token_create(user=figures["leader"], name="qgis")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert wsgi_call(application, path, {"level": "4"}, **bearer)[0] == "200 OK"
    assert served_hot(path, {"level": "4"}, **bearer)
    token_revoke(token=ApiToken.objects.get(pk=obj.pk))
    assert not served_hot(path, {"level": "4"}, **bearer)
    assert wsgi_call(application, path, {"level": "4"}, **bearer)[0].startswith("401")

    cookie = cookie_of(figures["head"])
    assert wsgi_call(application, path, {"level": "4"}, cookie)[0] == "200 OK"
    assert served_hot(path, {"level": "4"}, cookie)
    Session.objects.filter(session_key=cookie.split("=", 1)[1]).delete()  # a logout
    assert not served_hot(path, {"level": "4"}, cookie)
    assert wsgi_call(application, path, {"level": "4"}, cookie)[0].startswith("401")

    deactivated = cookie_of(figures["leader"])
    wsgi_call(application, path, {"level": "4"}, deactivated)
    assert served_hot(path, {"level": "4"}, deactivated)
    figures["leader"].is_active = False
    figures["leader"].save(update_fields=["is_active"])
    assert not served_hot(path, {"level": "4"}, deactivated)


def test_what_the_scope_rests_on_moves_the_auth_state_token(figures, make_user):
    before = auth_state_token()
    figures["head"].last_login = None
    figures["head"].save(update_fields=["last_login"])   # ordinary use: no change
    assert auth_state_token() == before
    grid = Grid.objects.get(code=GRID_A)
    grid.name = grid.name + "（改）"
    grid.save(update_fields=["name"])                      # any grid: paths, levels, children
    assert auth_state_token() != before
    middle = auth_state_token()
    make_user("tile-new-head", "grid_head", grid)         # an assignment
    assert auth_state_token() != middle


def test_other_or_bad_tile_requests_go_through_django(figures):
    path, (z, x, y) = url()
    cookie = cookie_of(figures["leader"])
    wsgi_call(application, path, {"level": "4"}, cookie)
    assert served_hot(path, {"level": "4"}, cookie)
    for query in ({"level": "4", "f": "json"}, {"level": ["4", "5"]}, {"level": "4x"}):
        assert not served_hot(path, query, cookie), query
    assert wsgi_call(application, path, {"level": "4x"}, cookie)[0].startswith("400")
    for bad in (f"/tiles/grids/23/{x}/{y}.mvt", f"/tiles/grids/{z}/{2 ** z}/{y}.mvt",
                f"/tiles/incidents/{z}/{x}/{y}.mvt", f"/tiles/grids/{z}/{x}/{y}.png"):
        assert not served_hot(bad, {"level": "4"}, cookie), bad
    assert wsgi_call(application, f"/tiles/grids/23/{x}/{y}.mvt", {"level": "4"}, cookie)[0].startswith("400")
    # a POST is never the hot path's
    environ = RequestFactory().post(path + "?level=4", HTTP_COOKIE=cookie).environ
    assert hotpath._serve(environ, lambda *a: None) is None
