"""The web import's boundary options: the command line's --snap-m, --clip-max-m2 and
--sliver-max-m2, with the same defaults, honoured and reported (real DataV districts)."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from layers.grids.importing import CLIP_MAX_M2, SLIVER_MAX_M2, grids_import
from layers.grids.models import Grid
from layers.imports.models import ImportJob
from layers.imports.services import import_job_run

from tests.support import datav_subset

pytestmark = pytest.mark.django_db(transaction=True)  # the import runs in a worker thread
STORED, MOVED = ("黄浦区", "静安区"), ("徐汇区", "虹口区")


def upload(client, path, **options):
    data = {"kind": "grids", "level": "1", "crs": "gcj02",
            "file": SimpleUploadedFile(path.name, path.read_bytes()), **options}
    resp = client.post("/imports/", data)
    assert resp.status_code == 302, resp.content[:500]
    return ImportJob.objects.latest("pk")


def test_web_import_snaps_clips_and_reports_like_the_command_line(client, make_user, tmp_path):
    Grid.objects.filter(valid_to__isnull=True).update(valid_to=datetime.date(2026, 1, 1))  # the demo street
    grids_import(path=datav_subset(tmp_path, STORED), level=1, crs="gcj02", commit=True)
    moved = datav_subset(tmp_path, MOVED, jitter_m=4.0)
    client.force_login(make_user("导入管理员", role="admin"))
    # Defaults are the command line's, and stated on the form.
    page = client.get("/imports/").content.decode()
    assert f'name="clip_max_m2" type="number" min="0" max="10000000" step="1" value="{int(CLIP_MAX_M2)}"' in page
    assert f'value="{int(SLIVER_MAX_M2)}"' in page and "共享边最长" in page
    job = upload(client, moved, snap_m="10")
    assert job.options["clip_max_m2"] == CLIP_MAX_M2 and job.options["sliver_max_m2"] == SLIVER_MAX_M2
    import_job_run(job=job, mode="dry", wait=True)
    job.refresh_from_db()
    actions = {(a["action"], a["grid"]) for a in job.report["adjustments"]}
    assert {("snap", "徐汇区"), ("snap", "虹口区")} <= actions and not job.report["problems"]
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert "吸附到相邻网格" in html and 'id="fit-options"' in html and "吸附距离 10.0 米" in html
    assert Grid.objects.filter(valid_to__isnull=True).count() == 2  # a dry run writes nothing
    # A clip limit below the overlap left after snapping is honoured: the overlap is refused.
    strict = upload(client, moved, snap_m="10", clip_max_m2="1")
    import_job_run(job=strict, mode="dry", wait=True)
    strict.refresh_from_db()
    assert not any(a["action"] == "clip_overlap" for a in strict.report["adjustments"])
    assert any(p["rule"] == "overlaps_sibling" for p in strict.report["problems"])
    # Bad limits are a 400 with the reason in Chinese, and nothing is stored.
    before = ImportJob.objects.count()
    resp = client.post("/imports/", {"kind": "grids", "level": "1", "crs": "gcj02", "snap_m": "10",
                                      "clip_max_m2": "-5", "file": SimpleUploadedFile(moved.name, moved.read_bytes())})
    assert resp.status_code == 400 and "裁剪和碎片面积上限" in resp.content.decode()
    assert ImportJob.objects.count() == before
