"""The public service card shows the photos of consenting staff, through the public photo route."""

import pytest

from layers.staff.services import staff_profile_photo_set, staff_profile_set

from tests.factories import PngFactory
from tests.support import G1


def png(colour) -> bytes:
    return PngFactory(size=(90, 90), colour=colour)


@pytest.fixture
def photographed(world, make_user, media):
    shown = staff_profile_set(user=world["users"]["member"], display_name="王网格", show_publicly=True)
    staff_profile_photo_set(profile=shown, content=png((20, 120, 60)), name="card-shown")
    hidden = staff_profile_set(user=make_user("c-hidden", "grid_member", world["grids"][G1]),
                               display_name="不公开", show_publicly=False)
    staff_profile_photo_set(profile=hidden, content=png((0, 0, 0)), name="card-hidden")
    return {**world, "shown": shown, "hidden": hidden}


@pytest.mark.django_db
def test_card_api_and_page_link_the_public_photo_route(photographed, client):
    shown, hidden = photographed["shown"], photographed["hidden"]
    card = client.get("/api/service-card/", {"address": "测试路001弄600号"}).json()
    urls = [s["photo_url"] for s in card["staff"]]
    assert urls == [urls[0]] and urls[0].startswith(f"/api/staff/{shown.pk}/photo/?v=")
    assert client.get(urls[0]).status_code == 200
    html = client.get("/service-card/", {"address": "测试路001弄600号"}).content.decode()
    assert f'src="/api/staff/{shown.pk}/photo/?v=' in html
    assert f"/api/staff/{hidden.pk}/" not in html and "/media/" not in html


@pytest.mark.django_db(transaction=True)
def test_service_card_page_shows_the_photo_in_a_browser(live_server, photographed, chromium):
    page = chromium.page()
    page.goto(live_server.url + "/service-card/")
    page.fill("input[name=address]", "测试路001弄600号")
    page.click("form:first-of-type button[type=submit]")
    page.wait_for_selector("img.staff-photo")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    shown = page.eval_on_selector_all(
        "img.staff-photo", "els => els.map(e => [e.alt, e.naturalWidth, e.getAttribute('src')])")
    assert [(alt, w) for alt, w, _ in shown] == [("王网格", 90)]
    assert "不公开" not in page.content()
