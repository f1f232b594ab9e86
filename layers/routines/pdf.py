"""HTML to PDF with headless Chromium (Debian's, as maps/export.py uses; maps is a later layer,
so this layer has its own small renderer). The HTML is handed to the browser as a string with
its CSS inline, so nothing is fetched: every request the page would make is aborted, and the
PDF needs no session, no cookie and no second request to this server (it works the same for a
token-authenticated API call)."""
from django.conf import settings

CHROMIUM = getattr(settings, "GEOGRID_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The printable box of A4 under print.css's @page margins (14 mm sides, 14 + 12 mm top and
# bottom), in CSS px at 96 per inch.
A4_BOX_PX = (round((210 - 28) / 25.4 * 96), round((297 - 26) / 25.4 * 96))


def html_to_pdf(html: str, *, one_page: bool = False, timeout_ms: int = 30000) -> bytes:
    """A4 PDF of an HTML document; page size and margins come from its CSS @page rule. With
    `one_page`, a document taller than one page is scaled down to fit it (a meeting's record
    is one sheet, however long its agenda)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            width, height = A4_BOX_PX
            ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
            ctx.route("**/*", lambda route: route.abort())
            page = ctx.new_page()
            page.set_content(html, wait_until="load", timeout=timeout_ms)
            page.emulate_media(media="print")
            scale = 1.0
            if one_page:
                tall = page.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
                if tall > height:
                    # 2% spare for rounding between layout and the PDF's page box; 0.1 is Chromium's floor.
                    scale = max(0.1, round(height / tall * 0.98, 3))
            return page.pdf(format="A4", print_background=True, prefer_css_page_size=True, scale=scale)
        finally:
            browser.close()
