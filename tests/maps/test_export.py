"""Meeting exports in the background (maps/export.py, the ExportJob rows of layers/overview):
the page starts a job and stays as it is, the job's progress reaches done, the file is the
requester's only, and the printed coverage map carries grid names and figures and no controls."""
import subprocess

import pytest
from django.test import Client
from django.utils import translation

from layers.overview.models import ExportJob, ExportStatus
from layers.staff.models import Role
from layers.subjects.selectors import coverage_list
from maps import builders
from tests.support import STREET_CODE


@pytest.fixture
def demo_world(demo_grids):
    """The demo street with its addresses and staff (live_server flushed the DB)."""
    from layers.addresses import demo as addresses_demo
    from layers.staff import demo as staff_demo

    addresses_demo.load()
    staff_demo.load()
    return demo_grids


def pdf_text(path) -> str:
    # -raw: text in the order drawn, so a table row stays one line whatever the map beside it.
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_coverage_pdf_in_the_background_names_the_grids_with_their_figures_and_no_controls(
        live_server, demo_world, make_user, chromium, tmp_path):
    leader = make_user("会议领导", Role.STREET_LEADER, demo_world[STREET_CODE])
    page = chromium.page(leader, locale="zh-CN")
    page.goto(live_server.url + "/maps/coverage/?metric=households_per_staff&level=4")
    page.wait_for_selector(".leaflet-container")
    url_before = page.url
    page.locator(".exports a.export-link[data-format=pdf]").click()
    # The page stays usable while the job runs: same URL, its controls still there and working.
    page.wait_for_selector(".export-job")
    assert page.url == url_before and page.locator("select[name=metric]").is_enabled()
    link = page.locator(".export-job a.export-download")
    link.wait_for(timeout=120_000)
    job = ExportJob.objects.get(user=leader)
    assert (job.status, job.progress, job.fmt, job.page) == (ExportStatus.DONE, 100, "pdf", "coverage")
    resp = page.context.request.get(live_server.url + link.get_attribute("href"))
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.body()[:5] == b"%PDF-"
    path = tmp_path / "coverage.pdf"
    path.write_bytes(resp.body())
    text = pdf_text(path)

    # Every micro-grid of the street by name, each beside its households per staff member.
    rows = coverage_list(user=leader, level=4)
    assert len(rows) > 10 and len({r["households_per_staff"] for r in rows}) > 3
    lines = text.splitlines()
    for r in rows:
        line = next((ln for ln in lines if r["code"] in ln), None)
        assert line is not None and r["name"] in line, r["code"]
        hps = r["households_per_staff"]
        expected = "–" if hps is None else (str(int(hps)) if float(hps).is_integer() else f"{hps:.1f}")
        assert line.rstrip().endswith(expected), (line, expected)
    with translation.override("zh-hans"):
        metrics = {k: str(v.label) for k, v in builders.coverage_metrics().items()}
        export_word = translation.gettext("Export")
    assert metrics["households_per_staff"] in text  # the figure chosen, named
    # None of the page's controls: the other metrics of the dropdown, the export links, Leaflet's badge.
    rest = text.replace(metrics["households_per_staff"], "")
    for key, label in metrics.items():
        if key != "households_per_staff":
            assert label not in rest, label
    for control in (export_word + ":", "PNG", "CSV", "Leaflet", "Excel"):
        assert control not in text, control

    # Someone else (even a leader over the same street) cannot see or fetch this export.
    other = Client()
    other.force_login(make_user("另一位领导", Role.STREET_LEADER, demo_world[STREET_CODE]))
    assert other.get(f"/api/exports/{job.pk}/").status_code == 404
    assert other.get(f"/api/exports/{job.pk}/file/").status_code == 404
    owner = Client()
    owner.force_login(leader)
    assert owner.get(f"/api/exports/{job.pk}/file/").content[:5] == b"%PDF-"


def test_png_job_of_the_grid_head_map(live_server, demo_world, make_user, chromium):
    head = make_user("导出网格长", Role.GRID_HEAD, demo_world["310106013001001"])
    page = chromium.page(head, locale="zh-CN", viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/maps/grid/")
    page.wait_for_selector(".leaflet-container")
    page.locator(".exports a.export-link[data-format=png]").click()
    page.locator(".export-job a.export-download").wait_for(timeout=120_000)
    job = ExportJob.objects.get(user=head)
    assert job.status == ExportStatus.DONE and bytes(job.content)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
def test_jobs_refuse_bad_requests_and_are_not_served_before_done(client, make_user, demo_grids):
    leader = make_user("导出检查领导", Role.STREET_LEADER, demo_grids[STREET_CODE])
    client.force_login(leader)
    bad = [{"page": "admin", "format": "pdf"}, {"page": "coverage", "format": "svg"},
           {"page": "coverage", "format": "pdf", "query": "x" * 1001}]
    for body in bad:
        r = client.post("/api/exports/", body, content_type="application/json")
        assert r.status_code == 400 and r.json()["rule"] == "bad_parameter", body
    # A planner may not render the grid head's case map.
    planner = Client()
    planner.force_login(make_user("导出规划员", Role.PLANNER, demo_grids[STREET_CODE]))
    assert planner.post("/api/exports/", {"page": "grid", "format": "png"},
                        content_type="application/json").status_code == 403
    # Inside a test transaction the worker never starts (it waits for the commit): still queued.
    r = client.post("/api/exports/", {"page": "coverage", "format": "pdf", "query": "?metric=households&format=png"},
                    content_type="application/json")
    assert r.status_code == 202 and r.json()["status"] == "queued" and r.json()["download"] is None
    job = ExportJob.objects.get(pk=r.json()["id"])
    assert job.query == "metric=households"  # the page's own format/print are not kept
    assert client.get(f"/api/exports/{job.pk}/").json()["progress"] == 0
    assert client.get(f"/api/exports/{job.pk}/file/").status_code == 409
    assert Client().get(f"/api/exports/{job.pk}/").status_code in (401, 403)
