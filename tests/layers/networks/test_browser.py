"""The party-group leader's phone page in Chromium (390x844, Chinese): raise a matter, land on its
page with its origin and the administrative micro-grid it was handed to."""
import pytest

from layers.staff.models import Role

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True}


def test_a_party_group_leader_raises_a_matter_on_the_phone(chromium, party, make_user, taxonomy, tmp_path):
    group, micro = party["groups"][0]
    leader = make_user("pgl-phone", Role.PARTY_GROUP_LEADER, group)
    page = chromium.page(leader, **PHONE)
    page.goto(chromium.url + "/party/")
    assert page.locator("h1").inner_text() == "党建网格：提出事项"
    p = micro[2].geometry.point_on_surface
    page.select_option("select[name=grid]", str(group.pk))
    page.select_option("select[name=type]", "PF01")
    page.fill("textarea[name=description]", "小区门口共享单车乱停")
    page.fill("textarea[name=note]", "党小组议定：请网格协调清理")
    page.fill("input[name=lon]", f"{p.x:.7f}")
    page.fill("input[name=lat]", f"{p.y:.7f}")
    page.screenshot(path=str(tmp_path / "party-form.png"), full_page=True)
    page.click("#party-send")
    page.wait_for_selector("#matter-handover")
    assert micro[2].code in page.locator("#matter-grid").inner_text()
    assert group.code in page.locator("#matter-origin").inner_text()
    assert "党建网格" in page.locator("#matter-origin").inner_text()
    assert page.locator("#matter-status").inner_text() == "已上报"
    page.screenshot(path=str(tmp_path / "party-matter.png"), full_page=True)
    # Back on the list, the matter is there with its status.
    page.goto(chromium.url + "/party/")
    assert page.locator("#party-matters [data-status]").count() == 1
    page.screenshot(path=str(tmp_path / "party-list.png"), full_page=True)
