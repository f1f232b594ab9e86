import datetime as dt

import pytest
from django.utils import timezone

from layers.incidents.taxonomy import taxonomy_ensure

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class Clock:
    """A frozen clock: every `django.utils.timezone.now()` returns `self.now` until moved."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, T0)


@pytest.fixture
def taxonomy(db):
    taxonomy_ensure()


@pytest.fixture
def inside(demo_grids):
    """inside(code) -> (lon, lat) of a point well inside that grid (storage datum = WGS84)."""
    def point(code):
        p = demo_grids[code].geometry.point_on_surface
        return round(p.x, 7), round(p.y, 7)
    return point

