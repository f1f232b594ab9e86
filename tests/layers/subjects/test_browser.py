"""The subjects page and the public service card in real Chromium: offline, no console error,
the reveal button shows full values only after a logged reveal."""
import os
from urllib.parse import urlparse

import pytest
from django.test import Client

from layers.subjects.models import RevealLog

from .conftest import ID_NUMBER, PHONE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _browser(p, live_server, blocked, errors, user=None):
    host = urlparse(live_server.url).netloc
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    ctx = browser.new_context()
    if user is not None:
        client = Client()
        client.force_login(user)
        ctx.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])

    def route(r):
        if urlparse(r.request.url).netloc == host or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return browser, page


@pytest.mark.django_db(transaction=True)
def test_reveal_button_shows_full_values_and_logs(live_server, world):
    from playwright.sync_api import sync_playwright

    member = world["users"]["member"]
    blocked, errors = [], []
    with sync_playwright() as p:
        browser, page = _browser(p, live_server, blocked, errors, user=member)
        page.goto(live_server.url + "/subjects/")
        row = page.locator(f"tr[data-id='{world['s1'].pk}']")
        assert row.locator("td[data-field=phone]").inner_text() == "139****5678"
        assert PHONE not in page.content()
        row.locator("button.reveal").click()
        page.wait_for_function(f"document.querySelector(\"tr[data-id='{world['s1'].pk}'] td[data-field=phone]\").textContent === '{PHONE}'")
        assert row.locator("td[data-field=id_number]").inner_text() == ID_NUMBER
        browser.close()
    assert blocked == [] and errors == [], (blocked, errors)
    log = RevealLog.objects.get()
    assert (log.user_id, log.subject_id) == (member.pk, world["s1"].pk)
    assert set(log.fields) == {"ethnicity", "religion", "id_number", "phone"}


@pytest.mark.django_db(transaction=True)
def test_service_card_page_works_offline_without_login(live_server, world):
    from playwright.sync_api import sync_playwright

    blocked, errors = [], []
    with sync_playwright() as p:
        browser, page = _browser(p, live_server, blocked, errors)
        page.goto(live_server.url + "/service-card/")
        page.fill("input[name=address]", "测试路002弄250号")
        page.click("form:first-of-type button[type=submit]")
        page.wait_for_selector(".card")
        assert world["grids"]["310106013001002"].name in page.inner_text(".card")
        browser.close()
    assert blocked == [] and errors == [], (blocked, errors)
