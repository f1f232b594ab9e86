"""Staff photos: public only for profiles that consented (show_publicly), served by their own
route (MEDIA is not served), demo avatars drawn once."""
import io
import os

import pytest
from PIL import Image

from layers.core.errors import RuleViolation
from layers.staff import demo
from layers.staff.models import Role, StaffProfile
from layers.staff.selectors import staff_public_list
from layers.staff.services import staff_profile_photo_set, staff_profile_set

from tests.factories import JpegWithGpsFactory, PngFactory
from tests.support import body_of

pytestmark = pytest.mark.django_db

MICRO = "310106013001001"


def png(colour=(200, 30, 30)) -> bytes:
    return PngFactory(size=(120, 160), colour=colour)


def jpeg_with_gps() -> bytes:
    return JpegWithGpsFactory(size=(120, 160), colour=(10, 90, 160), make="FictionalCam-Staff")


@pytest.fixture
def people(media, demo_grids, make_user):
    grid = demo_grids[MICRO]
    shown = make_user("p-shown", Role.GRID_HEAD, grid)
    hidden = make_user("p-hidden", Role.GRID_MEMBER, grid)
    p_shown = staff_profile_set(user=shown, display_name="亮牌甲", show_publicly=True)
    p_hidden = staff_profile_set(user=hidden, display_name="不公开乙", show_publicly=False)
    staff_profile_photo_set(profile=p_shown, content=png(), name="t-shown")
    staff_profile_photo_set(profile=p_hidden, content=png((0, 0, 0)), name="t-hidden")
    return {"grid": grid, "shown": p_shown, "hidden": p_hidden}


def test_consenting_staff_photo_is_public(people, client):
    p = people["shown"]
    r = client.get(f"/api/staff/{p.pk}/photo/", HTTP_ACCEPT="image/avif,image/webp,image/*,*/*;q=0.8")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    data = body_of(r)
    with p.photo.open("rb") as f:
        assert data == f.read()
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (120, 160) and img.getpixel((5, 5)) == (200, 30, 30)
    assert client.get(f"/api/staff/{p.pk}/photo/", HTTP_ACCEPT="image/png").status_code == 200


def test_non_consenting_or_inactive_or_missing_is_404(people, client, make_user):
    hidden = people["hidden"]
    r = client.get(f"/api/staff/{hidden.pk}/photo/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert client.get("/api/staff/999999/photo/").status_code == 404
    # Consent withdrawn: the photo goes with it.
    shown = people["shown"]
    staff_profile_set(user=shown.user, display_name=shown.display_name, show_publicly=False)
    assert client.get(f"/api/staff/{shown.pk}/photo/").status_code == 404
    # Consent given but the account is disabled.
    staff_profile_set(user=shown.user, display_name=shown.display_name, show_publicly=True)
    assert client.get(f"/api/staff/{shown.pk}/photo/").status_code == 200
    shown.user.is_active = False
    shown.user.save()
    assert client.get(f"/api/staff/{shown.pk}/photo/").status_code == 404
    # Consent given, no photo stored.
    bare = staff_profile_set(user=make_user("p-bare"), display_name="无照片", show_publicly=True)
    assert client.get(f"/api/staff/{bare.pk}/photo/").status_code == 404
    # And MEDIA is not a way around it.
    assert client.get("/media/" + hidden.photo.name).status_code == 404


def test_missing_file_is_404_not_500(people, client):
    p = people["shown"]
    p.photo.storage.delete(p.photo.name)
    assert client.get(f"/api/staff/{p.pk}/photo/").status_code == 404


def test_public_list_points_at_the_route_for_consenting_staff_only(people, client):
    staff = staff_public_list(grid_id=people["grid"].pk)
    assert [s["name"] for s in staff] == ["亮牌甲"]
    url = staff[0]["photo_url"]
    assert url.startswith(f"/api/staff/{people['shown'].pk}/photo/?v=")
    assert client.get(url).status_code == 200


def test_uploaded_photo_loses_exif_and_non_images_are_refused(people):
    p = people["shown"]
    staff_profile_photo_set(profile=p, content=jpeg_with_gps(), name="t-exif")
    with p.photo.open("rb") as f:
        stored = f.read()
    assert b"Exif" not in stored and b"FictionalCam-Staff" not in stored
    assert p.photo.name.endswith(".jpg")
    with pytest.raises(RuleViolation) as err:
        staff_profile_photo_set(profile=p, content=b"<svg onload='alert(1)'/>", name="t-svg")
    assert err.value.as_dict()["rule"] == "photo_unreadable"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    with pytest.raises(RuleViolation):
        staff_profile_photo_set(profile=p, content=gif.getvalue(), name="t-gif")


def test_demo_draws_avatars_once_and_reuses_files(media, demo_grids, client):
    demo.load()
    profiles = list(StaffProfile.objects.select_related("user").order_by("pk"))
    assert len(profiles) > 50 and all(p.photo for p in profiles)
    files = sorted(os.listdir(media / "staff"))
    assert len(files) == len(profiles)
    head = next(p for p in profiles if p.user.username == f"head-{MICRO}")
    with Image.open(head.photo.path) as img:
        assert img.size == (demo.AVATAR_SIDE, demo.AVATAR_SIDE)
        colours = {c for _, c in img.getcolors(1 << 16)}
        assert img.getpixel((2, 2)) in {Image.new("RGB", (1, 1), c).getpixel((0, 0)) for c in demo.AVATAR_COLOURS}
        if os.path.exists(demo.CJK_FONT):
            assert (255, 255, 255) in colours, "the surname is drawn in white"
    mtimes = {n: os.stat(media / "staff" / n).st_mtime_ns for n in files}
    names = {p.pk: p.photo.name for p in profiles}
    demo.load()
    assert {p.pk: p.photo.name for p in StaffProfile.objects.all()} == names
    assert {n: os.stat(media / "staff" / n).st_mtime_ns for n in os.listdir(media / "staff")} == mtimes
    # A fresh database over the same MEDIA (demo reloaded after a flush) reuses the files.
    StaffProfile.objects.update(photo="")
    demo.load()
    assert {p.pk: p.photo.name for p in StaffProfile.objects.all()} == names
    assert sorted(os.listdir(media / "staff")) == files
    # Consenting demo staff are served, the others are not.
    shown = StaffProfile.objects.filter(show_publicly=True).first()
    assert client.get(f"/api/staff/{shown.pk}/photo/").status_code == 200
    hidden = StaffProfile.objects.filter(show_publicly=False).first()
    assert hidden is not None and hidden.photo
    assert client.get(f"/api/staff/{hidden.pk}/photo/").status_code == 404


def test_avatar_is_seeded():
    assert demo.avatar_png("王", seed="head-1") == demo.avatar_png("王", seed="head-1")


def test_admin_upload_is_stored_without_exif(people, client, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin_user = make_user("p-admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    p = people["shown"]
    old = p.photo.name
    r = client.post(f"/admin/staff/staffprofile/{p.pk}/change/", {
        "user": p.user_id, "display_name": p.display_name, "public_phone": "", "pledge": "",
        "show_publicly": "on", "photo": SimpleUploadedFile("me.jpg", jpeg_with_gps(), content_type="image/jpeg")})
    assert r.status_code == 302, r.content.decode()[:2000]
    p.refresh_from_db()
    assert p.photo.name != old and p.photo.name.startswith(f"staff/profile-{p.pk}")
    with p.photo.open("rb") as f:
        stored = f.read()
    assert b"FictionalCam-Staff" not in stored and b"Exif" not in stored
    assert len(p.photo.storage.listdir("staff")[1]) == 2  # the raw upload and the old photo are gone
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    r = client.post(f"/admin/staff/staffprofile/{p.pk}/change/", {
        "user": p.user_id, "display_name": p.display_name, "show_publicly": "on",
        "photo": SimpleUploadedFile("me.gif", gif.getvalue(), content_type="image/gif")})
    assert r.status_code == 200 and "JPEG" in r.content.decode()
