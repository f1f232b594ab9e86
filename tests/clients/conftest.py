import pytest

from layers.addresses.models import Address
from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure


@pytest.fixture
def world(live_server, demo_grids, make_user):
    """The demo grids, a few addresses and incidents, and a GIS user with the credentials a client
    sends (Authorization header value and user/password)."""
    taxonomy_ensure()
    micro = [g for g in demo_grids.values() if g.level == 4 and g.kind == "base"][:9]
    for i, g in enumerate(micro):
        p = g.geometry.point_on_surface
        Address.objects.create(full_text=f"测试路{i + 1}号", geometry=p, grid=g, households=10 + i)
        incident_create(lon=p.x, lat=p.y, description=f"测试事件{i}", type="CA01")
    from layers.staff.services import token_create

    user = make_user("gis-client", is_superuser=True)
    # A personal API token: Bearer for GDAL, the basic-auth password for QGIS.
    _, secret = token_create(user=user, name="GIS client")
    header = f"Bearer {secret}"
    # Wait for readiness: the server's first answer (URLconf, templates) is slow on a busy machine,
    # and GDAL gives its first request little time.
    import urllib.request
    url = live_server.url.replace("//localhost:", "//127.0.0.1:")  # curl would try ::1 first
    req = urllib.request.Request(f"{url}/ogc/collections", headers={"Authorization": header})
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.status == 200
    return {"url": url, "user": user.username, "password": secret, "authorization": header}
