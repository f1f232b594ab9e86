"""The login page on a phone (390x844, touch) in real Chromium: every control at least 44 px
tall and wide, no text under 14 px, no sideways scroll; the same with a wrong password's
message shown; and the form logs in."""
from layers.staff.models import Role

from tests.support import GRID_A

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "locale": "zh-CN"}

MEASURE = """() => {
  const w = document.documentElement.clientWidth;
  const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const controls = [...document.querySelectorAll(
      'main input:not([type=hidden]), main button, main select, main a, .topbar .navbutton')].filter(shown);
  const small = controls.filter(e => { const r = e.getBoundingClientRect(); return r.height < 43.5 || r.width < 43.5; })
    .map(e => e.tagName + '[' + (e.name || e.className) + '] ' + Math.round(e.getBoundingClientRect().width) + 'x' +
              Math.round(e.getBoundingClientRect().height));
  const texts = [...document.querySelectorAll('main *')].filter(shown)
    .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) || e.matches('input'));
  const tiny = texts.filter(e => parseFloat(getComputedStyle(e).fontSize) < 14)
    .map(e => e.tagName + ' ' + getComputedStyle(e).fontSize);
  const wide = [...document.querySelectorAll('body *')].filter(shown)
    .filter(e => e.getBoundingClientRect().right > w + 0.5).map(e => e.tagName + '.' + e.className);
  return {scroll: document.documentElement.scrollWidth, width: w, small, tiny, wide,
          controls: controls.map(e => e.tagName + '[' + (e.name || e.type || '') + ']')};
}"""


def _check(page, what):
    m = page.evaluate(MEASURE)
    assert m["width"] == 390
    assert m["scroll"] <= m["width"] and m["wide"] == [], f"{what} scrolls sideways: {m}"
    assert m["small"] == [], f"{what}: controls under 44 px: {m['small']}"
    assert m["tiny"] == [], f"{what}: text under 14 px: {m['tiny']}"
    assert {"INPUT[username]", "INPUT[password]", "BUTTON[submit]"} <= set(m["controls"]), m["controls"]


def test_the_login_page_fits_a_phone_and_logs_in(live_server, demo_grids, make_user, chromium, tmp_path):
    head = make_user("手机登录", Role.GRID_HEAD, demo_grids[GRID_A])
    head.set_password("a-long-pass-1234")
    head.save()
    page = chromium.page(None, **PHONE)
    page.goto(live_server.url + "/accounts/login/")
    _check(page, "login page")
    page.screenshot(path=str(tmp_path / "login.png"), full_page=True)

    page.fill("input[name=username]", "手机登录")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    page.wait_for_selector(".login-error")
    assert "密码" in page.locator(".login-error").first.inner_text()
    _check(page, "login page with an error")
    page.screenshot(path=str(tmp_path / "login-error.png"), full_page=True)

    page.fill("input[name=password]", "a-long-pass-1234")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.locator(".topbar .who").inner_text().startswith("手机登录") or "手机登录" in page.content()
