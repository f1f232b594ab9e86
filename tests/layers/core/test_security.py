"""Session lifetime and security headers."""
import time

from django.test import Client

from layers.core.security import LOGIN_AT, SEEN_AT


def _logged_in(make_user, name="sess-user"):
    make_user(name)
    c = Client()
    assert c.post("/accounts/login/", {"username": name, "password": f"pw-{name}"}).status_code == 302
    return c


def _age(client, **offsets):
    s = client.session
    for key, seconds in offsets.items():
        s[key] = int(time.time()) - seconds
    s.save()


def test_session_ends_after_the_idle_timeout(make_user, settings):
    c = _logged_in(make_user)
    assert c.get("/api/me/").status_code == 200
    _age(c, **{SEEN_AT: settings.GEOGRID_SESSION_IDLE_SECONDS + 5})
    assert c.get("/api/me/").status_code == 401
    assert "_auth_user_id" not in c.session


def test_activity_keeps_the_session_alive_until_the_absolute_timeout(make_user, settings):
    c = _logged_in(make_user)
    # active a minute ago: still in, and the idle clock moves
    _age(c, **{SEEN_AT: 120})
    assert c.get("/api/me/").status_code == 200
    assert int(time.time()) - c.session[SEEN_AT] < 60
    # but never longer than the absolute limit after the login
    _age(c, **{LOGIN_AT: settings.GEOGRID_SESSION_ABSOLUTE_SECONDS + 5, SEEN_AT: 10})
    assert c.get("/api/me/").status_code == 401


def test_personal_answers_are_not_stored_and_pages_carry_a_csp(make_user):
    c = _logged_in(make_user)
    r = c.get("/api/me/")
    assert r["Cache-Control"] == "no-store"
    page = c.get("/")
    csp = page["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page["Cache-Control"] == "no-store"
    assert page["X-Content-Type-Options"] == "nosniff"


def test_anonymous_public_page_has_a_csp_and_is_not_marked_personal(db):
    r = Client().get("/service-card/")
    assert r.status_code == 200
    assert "no-store" not in r.get("Cache-Control", "")
    assert "default-src 'self'" in r["Content-Security-Policy"]
