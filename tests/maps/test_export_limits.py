"""PNG/PDF renders of map pages are exports: rate-limited per user, refused before rendering."""
from layers.audit.models import AuditEvent
from layers.staff.models import Role
from tests.support import STREET_CODE


def test_map_png_over_the_export_rate_is_429_and_renders_nothing(client, make_user, demo_grids, settings):
    settings.GEOGRID_RATE_EXPORT = "0/m"
    client.force_login(make_user("maps-busy-leader", Role.STREET_LEADER, demo_grids[STREET_CODE]))
    r = client.get("/maps/coverage/?format=png")
    assert r.status_code == 429 and r["Retry-After"]
    assert not AuditEvent.objects.filter(action="export").exists()
    assert client.get("/maps/coverage/").status_code == 200  # the page itself is not an export
