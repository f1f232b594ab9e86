import io

import prcoords
import pytest
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from layers.incidents.models import Incident, IncidentEvent, IntakeKey, Photo
from layers.incidents.services import incident_create

from tests.factories import JpegWithGpsFactory
from tests.support import GRID_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_user):
    client = APIClient()
    client.force_authenticate(make_user("resident-1"))
    return client


def body(lon, lat, **extra):
    return {"lon": lon, "lat": lat, "crs": "wgs84", "incident_class": "general", "type": "CA01",
            "description": "楼道堆放杂物", "source": "resident", **extra}


def test_intake_routes_to_micro_grid_and_answers_the_contract(api, taxonomy, inside, demo_grids):
    lon, lat = inside(GRID_A)
    r = api.post("/api/incidents/", body(lon, lat), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert r.status_code == 201, r.content
    data = r.json()
    assert set(data) >= {"id", "status", "grid", "deadline"}
    assert data["status"] == "reported"
    assert data["grid"] == {"id": demo_grids[GRID_A].pk, "code": GRID_A}
    incident = Incident.objects.get(pk=data["id"])
    # CA01 takes its category's limit: 24 h to accept.
    assert (incident.deadline - incident.reported_at).total_seconds() == 24 * 3600
    assert IncidentEvent.objects.filter(incident=incident, kind="created").count() == 1


def test_five_replays_with_one_key_store_one_incident(api, taxonomy, inside):
    lon, lat = inside(GRID_A)
    before = Incident.objects.count()
    answers = [api.post("/api/incidents/", body(lon, lat), format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
               for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1
    assert Incident.objects.count() == before + 1
    assert IntakeKey.objects.filter(key="retry-42").count() == 1


def test_same_key_with_another_body_is_refused_with_a_reason(api, taxonomy, inside):
    lon, lat = inside(GRID_A)
    first = api.post("/api/incidents/", body(lon, lat), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == 201
    other = api.post("/api/incidents/", body(lon, lat, description="另一件事"), format="json",
                     HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 422
    assert other.json()["rule"] == "idempotency_key_reused"
    assert "k-2" in other.json()["detail"]


def test_without_key_each_post_is_a_new_incident(api, taxonomy, inside):
    lon, lat = inside(GRID_A)
    ids = {api.post("/api/incidents/", body(lon, lat), format="json").json()["id"] for _ in range(2)}
    assert len(ids) == 2


def test_gcj02_and_wgs84_of_one_place_land_in_one_grid(api, taxonomy, inside):
    lon, lat = inside(GRID_A)
    glat, glon = prcoords.wgs_gcj((lat, lon), True)
    # GCJ-02 shifts this place by several hundred metres: taken as WGS84 it would be elsewhere.
    assert abs(glon - lon) + abs(glat - lat) > 0.003
    a = api.post("/api/incidents/", body(lon, lat), format="json").json()
    b = api.post("/api/incidents/", body(glon, glat, crs="gcj02"), format="json").json()
    assert a["grid"] == b["grid"]
    assert b["grid"]["code"] == GRID_A
    stored = Incident.objects.get(pk=b["id"])
    assert stored.source_crs == "gcj02"
    assert stored.geometry.distance(Incident.objects.get(pk=a["id"]).geometry) < 1e-7


def test_point_in_no_grid_is_a_400_with_the_reason(api, taxonomy):
    r = api.post("/api/incidents/", body(121.30, 31.10), format="json")
    assert r.status_code == 400
    assert r.json()["rule"] == "outside_grids"


@pytest.mark.parametrize("change,rule", [
    ({"lon": "abc"}, "coordinates"),
    ({"lon": 10.0, "lat": 10.0}, "coordinates"),
    ({"crs": "epsg:3857"}, "coordinates"),
    ({"type": "NOPE"}, "type_unknown"),
    ({"type": "CA"}, "type_category"),
    ({"incident_class": "urgent"}, "class_unknown"),
    ({"source": "twitter"}, "source_unknown"),
    ({"description": "  "}, "description_required"),
])
def test_bad_intake_is_a_400_naming_the_rule(api, taxonomy, inside, change, rule):
    lon, lat = inside(GRID_A)
    r = api.post("/api/incidents/", {**body(lon, lat), **change}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["rule"] == rule


def test_intake_by_address_uses_its_point(api, taxonomy, inside, demo_grids):
    from django.contrib.gis.geos import Point

    from layers.addresses.models import Address

    lon, lat = inside(GRID_A)
    address = Address.objects.create(full_text="新福康里1号", geometry=Point(lon, lat, srid=4490))
    data = {k: v for k, v in body(0, 0, address=address.pk).items() if k not in ("lon", "lat")}
    r = api.post("/api/incidents/", data, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["grid"]["code"] == GRID_A
    assert Incident.objects.get(pk=r.json()["id"]).address_id == address.pk


def test_special_grids_are_recorded(taxonomy, demo_grids):
    temple = demo_grids["310106013000001"]  # the religious-site special grid
    p = temple.geometry.point_on_surface
    incident = incident_create(lon=p.x, lat=p.y, description="香客拥挤", type="SH01")
    codes = set(incident.special_grids.values_list("code", flat=True))
    assert "310106013000001" in codes
    assert incident.grid.kind == "base" and incident.grid.level == 4


def test_uploaded_jpeg_loses_exif_and_gps(api, taxonomy, inside, media):
    raw = JpegWithGpsFactory()
    with Image.open(io.BytesIO(raw)) as check:
        assert check.getexif().get_ifd(0x8825), "the test photo must carry GPS tags"
    lon, lat = inside(GRID_A)
    upload = SimpleUploadedFile("scene.jpg", raw, content_type="image/jpeg")
    r = api.post("/api/incidents/", {**body(lon, lat), "photo": upload}, format="multipart")
    assert r.status_code == 201, r.content
    photo = Photo.objects.get(incident_id=r.json()["id"])
    stored = photo.file.read()
    assert b"Exif" not in stored and b"FictionalCam" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG" and img.size == (64, 48)
        assert not img.getexif() and "exif" not in img.info


def test_photo_type_and_size_limits(api, taxonomy, inside, media):
    lon, lat = inside(GRID_A)
    text = SimpleUploadedFile("note.jpg", b"not an image at all", content_type="image/jpeg")
    r = api.post("/api/incidents/", {**body(lon, lat), "photo": text}, format="multipart")
    assert r.status_code == 400 and r.json()["rule"] == "photo_unreadable"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    r = api.post("/api/incidents/", {**body(lon, lat), "photo": SimpleUploadedFile("a.gif", gif.getvalue())},
                 format="multipart")
    assert r.status_code == 400 and r.json()["rule"] == "photo_type"
    big = SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1), content_type="image/jpeg")
    r = api.post("/api/incidents/", {**body(lon, lat), "photo": big}, format="multipart")
    assert r.status_code == 400 and r.json()["rule"] == "photo_too_large"
    assert not Incident.objects.exists()


def test_event_log_is_append_only(taxonomy, inside):
    from django.db import DatabaseError, transaction

    lon, lat = inside(GRID_A)
    incident = incident_create(lon=lon, lat=lat, description="x", type="CA01")
    event = incident.events.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        IncidentEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        IncidentEvent.objects.filter(pk=event.pk).delete()
