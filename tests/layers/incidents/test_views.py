import re

import pytest
from django.contrib.gis.geos import Polygon

from layers.grids.services import grid_update
from layers.incidents.models import IncidentEvent
from layers.incidents.services import incident_create, incident_transition

from tests.support import GRID_A, GRID_B


@pytest.mark.django_db
def test_page_needs_login_and_lists_only_my_incidents(client, taxonomy, inside, make_user, demo_grids):
    assert client.get("/incidents/").status_code == 302
    mine = incident_create(lon=inside(GRID_A)[0], lat=inside(GRID_A)[1], description="我的网格的事", type="CA01")
    incident_create(lon=inside(GRID_B)[0], lat=inside(GRID_B)[1], description="邻居网格的事", type="CA01")
    client.force_login(make_user("head-a", "grid_head", demo_grids[GRID_A]))
    html = client.get("/incidents/").content.decode()
    assert mine.ref in html and "我的网格的事" in html and "邻居网格的事" not in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html
    assert not re.search(r"(src|href)=\"https?://", html), "the page must not load anything from the internet"
    assert GRID_A in html and GRID_B not in html  # the scope polygon is mine only
    assert "邻居网格的事" not in client.get("/incidents/?status=reported&overdue=false").content.decode()
    assert client.get("/incidents/?since=garbage").status_code == 200


@pytest.mark.django_db
def test_boundary_change_reroutes_open_cases_only(taxonomy, inside, make_user, demo_grids):
    a, b = demo_grids[GRID_A], demo_grids[GRID_B]
    lon, lat = inside(GRID_A)
    open_case = incident_create(lon=lon, lat=lat, description="未结", type="CA01")
    closed_case = incident_create(lon=lon, lat=lat, description="已结", type="CA01")
    head = make_user("head-a", "grid_head", a)
    for to in ["accepted", "dispatched", "in_progress", "resolved", "verified", "closed"]:
        closed_case = incident_transition(incident=closed_case, user=head, to=to)
    # A planner moves a small square around the point from A to B, through the grid services
    # (shrink A, then grow B), which announce each change to the registered hooks.
    square = Polygon.from_bbox((lon - 0.0002, lat - 0.0002, lon + 0.0002, lat + 0.0002))
    square.srid = 4490
    piece = square.intersection(a.geometry)
    grid_update(grid=a, geometry=a.geometry.difference(piece))
    open_case.refresh_from_db()
    assert open_case.grid_id == a.pk  # in a gap for a moment: the case keeps its grid
    grid_update(grid=b, geometry=b.geometry.union(piece).buffer(0))
    open_case.refresh_from_db()
    closed_case.refresh_from_db()
    assert open_case.grid_id == b.pk
    assert closed_case.grid_id == a.pk
    event = IncidentEvent.objects.get(incident=open_case, kind="rerouted")
    assert event.data["from"]["grid"] == GRID_A and event.data["to"]["grid"] == GRID_B
