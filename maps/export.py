"""PNG and PDF of a map page, for meeting reports: headless Chromium loads the same page
with the requesting user's session cookie (so the export shows exactly what that user may
see), with every request to another host aborted."""

from __future__ import annotations

import threading
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import connection, transaction

from layers.overview.services import export_job_fail, export_job_finish, export_job_progress

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
    return render_url(page_url(request, fmt), fmt, session=request.COOKIES.get(settings.SESSION_COOKIE_NAME),
                      width=width, height=height, timeout_ms=timeout_ms)


def render_url(url: str, fmt: str, *, session: str | None, width: int = 1400, height: int = 900,
               timeout_ms: int = 30000, progress=None) -> bytes:
    """PNG or PDF bytes of the page at `url` (a print URL) seen with the session `session`;
    `progress(percent)` is told how far it got."""
    from playwright.sync_api import sync_playwright

    if fmt not in ("png", "pdf"):
        raise ExportError(f"unknown format {fmt!r}")
    tell = progress or (lambda pct: None)
    viewport = PDF_VIEWPORT if fmt == "pdf" else {"width": width, "height": height}
    origin = urlsplit(url)
    cookie_name = settings.SESSION_COOKIE_NAME
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tell(20)
        try:
            ctx = browser.new_context(viewport=viewport, locale="zh-CN")
            if session:
                ctx.add_cookies([{"name": cookie_name, "value": session, "domain": origin.hostname,
                                  "path": "/"}])
            ctx.route("**/*", lambda route: route.continue_()
                      if urlsplit(route.request.url).netloc == origin.netloc else route.abort())
            page = ctx.new_page()
            page.goto(url, wait_until="load", timeout=timeout_ms)
            tell(50)
            page.wait_for_selector(".leaflet-container", timeout=timeout_ms)
            # Vector-tile layers (maps.vectortiles) count their tiles still loading.
            page.wait_for_function("() => Object.values(window.geogridVectorTiles || {}).every(t => t.loading === 0)",
                                   timeout=timeout_ms)
            page.wait_for_timeout(400)  # let Leaflet finish drawing the vector layers
            tell(75)
            if fmt == "png":
                return page.screenshot(full_page=True, type="png")
            page.emulate_media(media="screen")
            margin = f"{PDF_MARGIN_MM}mm"
            return page.pdf(format="A4", landscape=True, print_background=True,
                            margin={"top": margin, "right": margin, "bottom": margin, "left": margin})
        finally:
            browser.close()


# --- background exports: a job row (layers/overview ExportJob) and a worker thread per job ----
# At most this many Chromium renders at once in this process; later jobs wait their turn (queued).
_RENDERS = threading.BoundedSemaphore(getattr(settings, "GEOGRID_EXPORT_WORKERS", 2))


def export_job_start(job, *, url: str, session: str | None) -> threading.Thread:
    """Render `url` for `job` in a worker thread, once the job row is committed; the thread
    reports progress into the row and stores the file (or the error) there. The session is held
    in memory only, never written to the row."""
    thread = threading.Thread(target=_run_job, args=(job.pk, job.fmt, url, session),
                              name=f"geogrid-export-{job.pk}", daemon=True)
    transaction.on_commit(thread.start)
    return thread


def _db(fn, **kwargs) -> None:
    """Run one ORM write in a thread of its own and wait for it: inside Playwright's sync API the
    worker thread runs an event loop, where Django refuses synchronous queries."""
    def work():
        try:
            fn(**kwargs)
        finally:
            connection.close()
    t = threading.Thread(target=work)
    t.start()
    t.join()


def _run_job(job_id: int, fmt: str, url: str, session: str | None) -> None:
    try:
        with _RENDERS:
            export_job_progress(job_id=job_id, progress=5)
            data = render_url(url, fmt, session=session,
                              progress=lambda pct: _db(export_job_progress, job_id=job_id, progress=pct))
            export_job_progress(job_id=job_id, progress=95)
            export_job_finish(job_id=job_id, content=data)
    except Exception as exc:  # noqa: BLE001 - any failure of the render is the job's answer, shown to its owner
        export_job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()  # this thread's own connection, or it outlives the job


# --- what a printed map carries besides the picture ------------------------------------------

def print_rows(gdf, value_of) -> list[dict]:
    """The numbered table printed beside a map: one row per grid of `gdf` (by code) with its
    number (also drawn on the grid), code, name and the chosen figure `value_of(row)` as text."""
    if gdf is None or gdf.empty:
        return []
    out = []
    for n, (_i, r) in enumerate(gdf.sort_values("code").iterrows(), start=1):
        point = r.geometry.representative_point() if r.geometry is not None and not r.geometry.is_empty else None
        out.append({"n": n, "code": r["code"], "name": r["name"], "value": value_of(r),
                    "lat": point.y if point is not None else None, "lon": point.x if point is not None else None})
    return out


def add_print_numbers(m, rows: list[dict]):
    """Draw each row's number on its grid (the key to the table printed beside the map)."""
    import folium

    layer = folium.FeatureGroup(name="#", control=False)
    for r in rows:
        if r["lat"] is None:
            continue
        folium.Marker([r["lat"], r["lon"]], icon=folium.DivIcon(
            html=f'<span class="print-no">{r["n"]}</span>', icon_size=(24, 16), icon_anchor=(12, 8),
            class_name="print-no-icon")).add_to(layer)
    layer.add_to(m)
    return m


def figure_text(value, *, percent: bool = False, digits: int = 1) -> str:
    """A figure for print: empty values as an en dash, shares as percentages."""
    if value is None or value != value:  # None or NaN
        return "–"
    if isinstance(value, str):
        return value
    if percent:
        return f"{100 * float(value):.{digits}f}%"
    f = float(value)
    return str(int(f)) if f.is_integer() else f"{f:.{digits}f}"
