"""The hot path of single lookups (geogrid/hotpath.py), called as gunicorn calls the WSGI
application: it answers only callers the locate view found logged in, with the view's body and
the headers Django gave; everyone and everything else gets Django's answer."""
import json

import pytest
from django.contrib.gis.geos import Polygon
from django.test import Client, RequestFactory

from geogrid import hotpath
from geogrid.wsgi import application, django_application
from layers.addresses.api import views as locate_views
from layers.grids.services import grid_create
from tests.support import wsgi_call

pytestmark = pytest.mark.django_db
INSIDE = {"lon": "120.002", "lat": "30.005"}
GAP = {"lon": "120.009", "lat": "30.005"}
OUTSIDE = {"lon": "121.5", "lat": "31.5"}


@pytest.fixture
def grids():
    import datetime as dt

    start = dt.date(2025, 1, 1)
    street = grid_create(parent=None, level=2, name="热路街道", code="310999002000",
                         geometry=Polygon.from_bbox((120, 30, 120.02, 30.01)), valid_from=start)
    micro = grid_create(parent=street, level=4, name="热路网格", geometry=Polygon.from_bbox((120, 30, 120.004, 30.01)),
                        valid_from=start)
    return street, micro


@pytest.fixture(autouse=True)
def fresh_caches():
    hotpath._learned.clear()
    locate_views._recent.clear()
    yield
    hotpath._learned.clear()
    locate_views._recent.clear()


def call(app, query, cookie="", **headers):
    return wsgi_call(app, "/api/locate/", query, cookie, **headers)


def session_cookie(make_user, name="hot", **extra) -> str:
    c = Client()
    c.force_login(make_user(name))
    return "sessionid=" + c.cookies["sessionid"].value + "".join(f"; {k}={v}" for k, v in extra.items())


def served_hot(query, cookie) -> bool:
    environ = RequestFactory().get("/api/locate/", query, HTTP_COOKIE=cookie).environ
    return hotpath._serve(environ, lambda *a: None) is not None


def test_logged_in_lookups_are_served_hot_with_djangos_answer(grids, make_user):
    cookie = session_cookie(make_user)
    assert not served_hot(INSIDE, cookie)            # unknown caller: Django decides
    first = call(application, INSIDE, cookie)        # through Django: auth cached, headers learned
    assert first[0] == "200 OK"
    assert served_hot(INSIDE, cookie)
    for query in (INSIDE, GAP, OUTSIDE):
        hot = call(application, query, cookie)
        full = call(django_application, query, cookie)
        assert hot[0] == full[0] and hot[2] == full[2], query
        assert {k: v for k, v in hot[1].items() if k.lower() != "vary"} == \
            {k: v for k, v in full[1].items() if k.lower() not in ("vary", "set-cookie")}
    assert call(application, GAP, cookie)[0].startswith("404")
    assert "Content-Security-Policy" in first[1] and first[1]["Cache-Control"] == "no-store"


def test_a_compressed_answer_is_not_learned_as_compressed(grids, make_user):
    # Django gzips a large enough answer for a client that accepts it; the hot body is plain, so
    # the learned headers must not claim gzip (a client would fail to decode every hot answer).
    cookie = session_cookie(make_user, "hot-gzip")
    call(application, INSIDE, cookie, HTTP_ACCEPT_ENCODING="gzip")
    status, headers, body = call(application, INSIDE, cookie, HTTP_ACCEPT_ENCODING="gzip")
    assert status == "200 OK" and served_hot(INSIDE, cookie)
    assert "Content-Encoding" not in headers and json.loads(body)


def test_unknown_callers_and_other_requests_go_through_django(grids, make_user):
    cookie = session_cookie(make_user)
    call(application, INSIDE, cookie)
    assert call(application, INSIDE, "sessionid=forged")[0].startswith("401")
    assert call(application, INSIDE)[0].startswith("401")
    for query in ({**INSIDE, "date": "2025-06-01"}, {"address": "路"}, {**INSIDE, "extra": "1"},
                  {"lon": "abc", "lat": "30"}, {"lon": "120.002"}):
        assert not served_hot(query, cookie), query
    status, _headers, body = call(application, {"lon": "abc", "lat": "30"}, cookie)
    assert status.startswith("400") and b"detail" in body


def test_the_answer_speaks_the_callers_language(grids, make_user):
    cookie = session_cookie(make_user, django_language="en")
    call(application, INSIDE, cookie)
    status, headers, body = call(application, GAP, cookie)
    assert served_hot(GAP, cookie) and status.startswith("404")
    assert headers["Content-Language"] == "en" and "coverage gap" in body.decode()
    zh = session_cookie(make_user, "hot-zh")
    call(application, INSIDE, zh)
    status, headers, body = call(application, GAP, zh)
    assert served_hot(GAP, zh) and headers["Content-Language"] == "zh-hans"
    assert "coverage gap" not in body.decode() and "热路街道" in body.decode()
