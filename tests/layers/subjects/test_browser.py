"""The subjects page and the public service card in real Chromium: offline, no console error,
the reveal button shows full values only after a logged reveal."""
import pytest

from layers.subjects.models import RevealLog

from tests.support import ID_NUMBER, PHONE


@pytest.mark.django_db(transaction=True)
def test_reveal_button_shows_full_values_and_logs(live_server, world, chromium):
    member = world["users"]["member"]
    page = chromium.page(member)
    page.goto(live_server.url + "/subjects/")
    row = page.locator(f"tr[data-id='{world['s1'].pk}']")
    assert row.locator("td[data-field=phone]").inner_text() == "139****5678"
    assert PHONE not in page.content()
    row.locator("button.reveal").click()
    page.wait_for_function(f"document.querySelector(\"tr[data-id='{world['s1'].pk}'] td[data-field=phone]\").textContent === '{PHONE}'")
    assert row.locator("td[data-field=id_number]").inner_text() == ID_NUMBER
    log = RevealLog.objects.get()
    assert (log.user_id, log.subject_id) == (member.pk, world["s1"].pk)
    assert set(log.fields) == {"ethnicity", "religion", "id_number", "phone"}


@pytest.mark.django_db(transaction=True)
def test_service_card_page_works_offline_without_login(live_server, world, chromium):
    page = chromium.page()
    page.goto(live_server.url + "/service-card/")
    page.fill("input[name=address]", "测试路002弄250号")
    page.click("form:first-of-type button[type=submit]")
    page.wait_for_selector(".card")
    assert world["grids"]["310106013001002"].name in page.inner_text(".card")
