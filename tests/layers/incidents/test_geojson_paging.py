"""/api/incidents/geojson/ pages instead of stopping silently: named GeoJSON as application/geo+json."""
import pytest
from rest_framework.test import APIClient

from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure

pytestmark = pytest.mark.django_db


def test_incident_geojson_pages_with_counts_and_a_next_link(demo_grids, make_user):
    taxonomy_ensure()
    p = demo_grids["310106013001001"].geometry.point_on_surface
    made = {incident_create(lon=p.x, lat=p.y, description=f"事{i}", type="CA01").pk for i in range(5)}
    api = APIClient()
    api.force_authenticate(make_user("gj-admin", is_superuser=True))
    seen, url = [], "/api/incidents/geojson/?limit=2"
    while url:
        r = api.get(url)
        assert r["Content-Type"] == "application/geo+json"
        body = r.json()
        assert body["name"] == "incidents" and body["numberMatched"] == 5
        assert body["truncated"] == any(link["rel"] == "next" for link in body["links"])
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert len(seen) == 5 and set(seen) == made
    assert api.get("/api/incidents/geojson/?limit=0").status_code == 400
    assert api.get("/api/incidents/geojson/?offset=x").status_code == 400
