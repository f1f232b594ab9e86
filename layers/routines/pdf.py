"""HTML to PDF with headless Chromium (Debian's, as maps/export.py uses; maps is a later layer,
so this layer has its own small renderer). The HTML is handed to the browser as a string with
its CSS inline, so nothing is fetched: every request the page would make is aborted, and the
PDF needs no session, no cookie and no second request to this server (it works the same for a
token-authenticated API call)."""
from django.conf import settings

CHROMIUM = getattr(settings, "GEOGRID_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def html_to_pdf(html: str, *, timeout_ms: int = 30000) -> bytes:
    """A4 PDF of an HTML document; page size and margins come from its CSS @page rule."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(locale="zh-CN", java_script_enabled=False)
            ctx.route("**/*", lambda route: route.abort())
            page = ctx.new_page()
            page.set_content(html, wait_until="load", timeout=timeout_ms)
            return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()
