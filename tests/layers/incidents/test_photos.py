"""Incident photos are served only through the scoped route, never from MEDIA wholesale."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from layers.incidents.models import Photo

from tests.factories import JpegWithGpsFactory
from tests.support import GRID_A, GRID_B, body_of

pytestmark = pytest.mark.django_db

SECRET_MAKE = "FictionalCam-7731"


def jpeg_with_gps(size=(640, 480)) -> bytes:
    return JpegWithGpsFactory(size=size, colour=(30, 120, 200), make=SECRET_MAKE)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def case(taxonomy, inside, media, make_user, demo_grids):
    """A case in GRID_A reported with a photo that carried GPS and camera tags."""
    head = make_user("head-a", "grid_head", demo_grids[GRID_A])
    lon, lat = inside(GRID_A)
    upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(), content_type="image/jpeg")
    r = api_for(head).post("/api/incidents/", {"lon": lon, "lat": lat, "crs": "wgs84", "type": "CA01",
                                               "description": "井盖缺失", "photo": upload}, format="multipart")
    assert r.status_code == 201, r.content
    return {"id": r.json()["id"], "photo": Photo.objects.get(incident_id=r.json()["id"]), "head": head}


def test_detail_lists_scoped_photo_urls_not_media(case):
    detail = api_for(case["head"]).get(f"/api/incidents/{case['id']}/").json()
    url = f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/"
    assert detail["photos"] == [{"id": case["photo"].pk, "url": url, "thumb_url": url + "?size=thumb",
                                 "width": 640, "height": 480}]
    assert "/media/" not in str(detail)


def test_photo_is_served_to_the_grid_head_without_exif(case):
    r = api_for(case["head"]).get(f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/",
                                  HTTP_ACCEPT="image/avif,image/webp,image/*,*/*;q=0.8")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/jpeg"
    assert "private" in r["Cache-Control"]
    data = body_of(r)
    assert b"Exif" not in data and SECRET_MAKE.encode() not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.size == (640, 480)
        assert not img.getexif() and "exif" not in img.info
    # An <img> or a client asking for exactly image/jpeg is not refused with 406.
    assert api_for(case["head"]).get(f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/",
                                     HTTP_ACCEPT="image/jpeg").status_code == 200


def test_thumbnail_is_small_and_clean(case):
    r = api_for(case["head"]).get(f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/?size=thumb")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    data = body_of(r)
    assert b"Exif" not in data and SECRET_MAKE.encode() not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (240, 180)
    bad = api_for(case["head"]).get(f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/?size=huge")
    assert bad.status_code == 400 and bad.json()["rule"] == "photo_size"


def test_neighbour_grid_head_and_anonymous_get_nothing(case, make_user, demo_grids, client):
    neighbour = make_user("head-b", "grid_head", demo_grids[GRID_B])
    url = f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/"
    for params in ("", "?size=thumb"):
        r = api_for(neighbour).get(url + params)
        assert r.status_code == 404, r.content
        assert SECRET_MAKE.encode() not in r.content and r["Content-Type"].startswith("application/json")
    assert client.get(url).status_code in (401, 403)
    # Nor through MEDIA: no route serves the stored file by its path.
    assert client.get("/media/" + case["photo"].file.name).status_code == 404
    client.force_login(neighbour)
    assert client.get("/media/" + case["photo"].file.name).status_code == 404


def test_photo_of_another_case_is_404_even_in_scope(case, inside):
    other = api_for(case["head"]).post("/api/incidents/", {"lon": inside(GRID_A)[0], "lat": inside(GRID_A)[1],
                                                           "type": "CA01", "description": "另一件"}, format="json")
    assert other.status_code == 201
    assert api_for(case["head"]).get(
        f"/api/incidents/{other.json()['id']}/photos/{case['photo'].pk}/").status_code == 404


def test_missing_file_is_404_not_500(case):
    case["photo"].file.storage.delete(case["photo"].file.name)
    r = api_for(case["head"]).get(f"/api/incidents/{case['id']}/photos/{case['photo'].pk}/")
    assert r.status_code == 404


def test_list_page_shows_thumbnails_through_the_scoped_route(case, client, make_user, demo_grids):
    client.force_login(case["head"])
    html = client.get("/incidents/").content.decode()
    assert f'src="/api/incidents/{case["id"]}/photos/{case["photo"].pk}/?size=thumb"' in html
    neighbour = make_user("head-b", "grid_head", demo_grids[GRID_B])
    client.force_login(neighbour)
    assert f"/photos/{case['photo'].pk}/" not in client.get("/incidents/").content.decode()
