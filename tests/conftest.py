"""Shared test fixtures. Tests run against the real PostGIS cluster of `make db`.

The demo grids are loaded once per session into the test database; tests that use
`transactional_db`/`live_server` flush it, so they are moved to the end of the run and the
`demo_grids` fixture reloads what is missing (loading is idempotent)."""
import pytest
from django.contrib.auth import get_user_model

STREET_CODE = "310106013000"


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
    from layers.staff.models import Assignment

    def make(username, role=None, grid=None, **extra):
        user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
        if role:
            Assignment.objects.create(user=user, role=role, grid=grid)
        return user
    return make
