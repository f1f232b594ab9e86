"""Shared test fixtures. Tests run against the real PostGIS cluster of `make db`.

The demo grids are loaded once per session into the test database; tests that use
`transactional_db`/`live_server` flush it, so they are moved to the end of the run and the
`demo_grids` fixture reloads what is missing (loading is idempotent)."""
import datetime as _dt

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from layers.grids import demo

        demo.load()


def pytest_collection_modifyitems(config, items):
    # Flushing tests last, so the session's demo data serves every other test first.
    def flushes(item):
        names = getattr(item, "fixturenames", ())
        return "live_server" in names or "transactional_db" in names
    items[:] = [i for i in items if not flushes(i)] + [i for i in items if flushes(i)]


@pytest.fixture
def demo_grids(db):
    """Current demo grids by code."""
    from layers.grids import demo
    from layers.grids.models import Grid

    demo.load()
    return {g.code: g for g in Grid.objects.filter(valid_to__isnull=True)}


@pytest.fixture
def make_user(db):
    """make_user(username, role=None, grid=None) -> a user with that role on that grid."""
    from tests.factories import AssignmentFactory, UserFactory

    def make(username, role=None, grid=None, **extra):
        user = UserFactory(username=username, **extra)
        if role:
            AssignmentFactory(user=user, role=role, grid=grid)
        return user
    return make


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a folder of this test (MEDIA_ROOT), never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class OfflineChromium:
    """Debian's Chromium driven by Playwright, where every request that leaves the live server
    is aborted and recorded, and every console error is recorded; the fixture fails the test on
    either. `page(user)` opens a page logged in as `user` (or anonymous)."""

    ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

    def __init__(self, playwright, live_server):
        from urllib.parse import urlparse

        self.url = live_server.url
        self.host = urlparse(live_server.url).netloc
        self.browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=self.ARGS)
        self.blocked: list[str] = []
        self.errors: list[str] = []

    def _route(self, route):
        from urllib.parse import urlparse

        url = route.request.url
        if urlparse(url).netloc == self.host or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def context(self, user=None, **kwargs):
        from django.test import Client

        kwargs.setdefault("viewport", {"width": 1400, "height": 900})
        ctx = self.browser.new_context(**kwargs)
        if user is not None:
            client = Client()
            client.force_login(user)
            ctx.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": self.url}])
        ctx.route("**/*", self._route)
        return ctx

    def watch(self, page):
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page

    def page(self, user=None, **kwargs):
        return self.watch(self.context(user, **kwargs).new_page())


@pytest.fixture
def chromium(live_server):
    """An OfflineChromium; the test fails on any non-local request or console error."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = OfflineChromium(p, live_server)
        yield browser
        browser.browser.close()
        # While Playwright runs, the ORM sees an async context and opens a connection of its
        # own; close it here, in that context, or it outlives the test database.
        from django.db import connections
        connections.close_all()
    assert browser.blocked == [], f"non-local requests: {browser.blocked}"
    assert browser.errors == [], f"console errors: {browser.errors}"


# A frozen clock for time limits, deadlines and periods: 2 March 2026, 09:00 Beijing time.
T0 = _dt.datetime(2026, 3, 2, 9, 0, tzinfo=_dt.timezone(_dt.timedelta(hours=8)))


class Clock:
    """A frozen clock: every `django.utils.timezone.now()` returns `self.now` until moved."""

    def __init__(self, monkeypatch, start):
        from django.utils import timezone

        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta):
        self.now += _dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, T0)


@pytest.fixture
def taxonomy(db):
    """The incident taxonomy (classes, types, time limits) loaded."""
    from layers.incidents.taxonomy import taxonomy_ensure

    taxonomy_ensure()


@pytest.fixture
def inside(demo_grids):
    """inside(code) -> (lon, lat) of a point well inside that grid (storage datum = WGS84)."""
    def point(code):
        p = demo_grids[code].geometry.point_on_surface
        return round(p.x, 7), round(p.y, 7)
    return point
