"""PNG and PDF of a map page, for meeting reports: headless Chromium loads the same page
with the requesting user's session cookie (so the export shows exactly what that user may
see), with every request to another host aborted."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings

CHROMIUM = getattr(settings, "GEOGRID_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class ExportError(RuntimeError):
    pass


# A4 landscape less 8 mm margins, in CSS px (96/in): the PDF page is laid out at exactly the
# viewport's width, so Leaflet's fit and the legend stay where the screen put them.
PDF_MARGIN_MM = 8
PDF_VIEWPORT = {"width": round((297 - 2 * PDF_MARGIN_MM) / 25.4 * 96),
                "height": round((210 - 2 * PDF_MARGIN_MM) / 25.4 * 96)}


def page_url(request, fmt: str = "png") -> str:
    """The page's own URL without `format`, marked for print (no navigation bar); `print=pdf`
    sizes the map to fit one A4 landscape page."""
    params = request.GET.copy()
    params.pop("format", None)
    params["print"] = "pdf" if fmt == "pdf" else "1"
    return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)


def render_page(request, fmt: str, *, width: int = 1400, height: int = 900, timeout_ms: int = 30000) -> bytes:
    """PNG or PDF bytes of the page at `request`'s URL as the requesting user sees it."""
    from playwright.sync_api import sync_playwright

    url = page_url(request, fmt)
    viewport = PDF_VIEWPORT if fmt == "pdf" else {"width": width, "height": height}
    origin = urlsplit(url)
    cookie_name = settings.SESSION_COOKIE_NAME
    session = request.COOKIES.get(cookie_name)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport=viewport, locale="zh-CN")
            if session:
                ctx.add_cookies([{"name": cookie_name, "value": session, "domain": origin.hostname,
                                  "path": "/"}])
            ctx.route("**/*", lambda route: route.continue_()
                      if urlsplit(route.request.url).netloc == origin.netloc else route.abort())
            page = ctx.new_page()
            page.goto(url, wait_until="load", timeout=timeout_ms)
            page.wait_for_selector(".leaflet-container", timeout=timeout_ms)
            # Vector-tile layers (maps.vectortiles) count their tiles still loading.
            page.wait_for_function("() => Object.values(window.geogridVectorTiles || {}).every(t => t.loading === 0)",
                                   timeout=timeout_ms)
            page.wait_for_timeout(400)  # let Leaflet finish drawing the vector layers
            if fmt == "png":
                return page.screenshot(full_page=True, type="png")
            if fmt == "pdf":
                page.emulate_media(media="screen")
                margin = f"{PDF_MARGIN_MM}mm"
                return page.pdf(format="A4", landscape=True, print_background=True,
                                margin={"top": margin, "right": margin, "bottom": margin, "left": margin})
            raise ExportError(f"unknown format {fmt!r}")
        finally:
            browser.close()
