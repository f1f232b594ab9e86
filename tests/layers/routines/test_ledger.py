"""The ledger (台账) of a grid and a month: its counts are the overview's and the assessment's for
the same grid and month (the test asks both APIs), it exports as XLSX (one sheet per section)
and PDF, leaders get counts only, and a grid out of scope does not exist."""
import io
import re

import pytest
from openpyxl import load_workbook

from tests.support import COMMUNITY, GRID_A, GRID_C

pytestmark = pytest.mark.django_db
MONTH = "2026-02"


def overview_row(client, grid, month=MONTH):
    r = client.get("/api/overview/", {"level": grid.level, "month": month})
    assert r.status_code == 200, r.content
    return next(row for row in r.json()["rows"] if row["grid"]["id"] == grid.pk)


def assessment_row(client, grid, month=MONTH):
    r = client.get("/api/assessments/", {"level": grid.level, "month": month})
    assert r.status_code == 200, r.content
    return next(row for row in r.json()["rows"] if row["grid"]["id"] == grid.pk)


def ledger(client, grid, month=MONTH, **extra):
    return client.get(f"/api/ledgers/{grid.pk}/", {"month": month, **extra})


def assert_matches_overview(led, ov, ass):
    assert led["households"]["households"] == ov["households"] == ass["figures"]["households"]
    assert led["households"]["staff"] == ov["staff"] == ass["figures"]["staff"]
    assert led["households"]["addresses"] == ov["addresses"]
    inc = led["incidents"]
    assert inc["received"] == ov["received"] == ass["figures"]["received"]
    assert inc["closed"] == inc["handled"] == ov["closed"] == ass["figures"]["closed"]
    assert inc["closed_on_time"] == ov["closed_on_time"] == ass["figures"]["closed_on_time"]
    assert inc["closure_rate"] == ov["closure_rate"] and inc["on_time_rate"] == ov["on_time_rate"]
    assert inc["satisfaction"] == ov["satisfaction"]
    assert (inc["open_now"], inc["overdue_now"]) == (ov["open"], ov["overdue"])
    assert led["visits"]["visited_within_cadence"] == ov["visited_within_cadence"] == ass["figures"]["visited_within_cadence"]
    assert led["assessment"]["score"] == ass["score"] and led["assessment"]["rank"] == ass["rank"]


@pytest.mark.parametrize("who,code", [("head", GRID_A), ("chief", GRID_A), ("chief", COMMUNITY), ("leader", COMMUNITY),
                                      ("leader", GRID_A)])
def test_ledger_counts_equal_the_overview_and_the_assessment(routine_world, client, who, code):
    w = routine_world
    grid = w["grids"][code]
    client.force_login(w["users"][who])
    r = ledger(client, grid)
    assert r.status_code == 200, r.content
    led = r.json()
    assert_matches_overview(led, overview_row(client, grid), assessment_row(client, grid))
    # The world's February in grid A: 3 cases (1 closed on time), 2 patrols, 1 visit made, 1 missed.
    if code == GRID_A:
        assert (led["incidents"]["received"], led["incidents"]["closed_on_time"]) == (2, 1)
        assert led["patrols"]["count"] == 2 and led["patrols"]["hours"] == 3.0 and led["patrols"]["distance_km"] == 4.7
    if who != "leader":
        assert led["visits"]["made"] == 1 and led["visits"]["missed"] == 1


def test_a_months_meetings_and_decisions_are_counted(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    mid = client.post("/api/meetings/", {"grid": g[COMMUNITY].pk, "kind": "ad_hoc", "date": "2026-02-26"},
                      content_type="application/json").json()["id"]
    client.patch(f"/api/meetings/{mid}/", {"held": True}, content_type="application/json")
    for text in ("一", "二"):
        client.post(f"/api/meetings/{mid}/decisions/", {"text": text}, content_type="application/json")
    led = ledger(client, g[COMMUNITY]).json()["meetings"]
    assert (led["held"], led["decisions"], led["decisions_open"]) == (1, 2, 2)
    assert [d["text"] for d in led["decision_rows"]] == ["一", "二"]
    # Each meeting once, with its own count (not once per attendee).
    assert [(m["id"], m["decisions"]) for m in led["rows"]] == [(mid, 2)]
    assert ledger(client, g[COMMUNITY], month="2026-01").json()["meetings"]["held"] == 0


def test_leaders_get_counts_only_and_field_staff_masked_rows(routine_world, client):
    w = routine_world
    grid = w["grids"][GRID_A]
    client.force_login(w["users"]["leader"])
    led = ledger(client, grid).json()
    assert led["access"] == "aggregate"
    assert "rows" not in led["subjects"] and "rows" not in led["incidents"] and "decision_rows" not in led["meetings"]
    counts = {c["category"]: c["count"] for c in led["subjects"]["by_category"]}
    assert counts["ethnic_minority"] == "<10" and counts["religious_figure"] == 0  # the small-count rule
    client.force_login(w["users"]["head"])
    led = ledger(client, grid).json()
    assert led["subjects"]["by_category"][0]["count"] == 1  # a grid head sees the grid's own small counts
    row = next(s for s in led["subjects"]["rows"] if s["name"] == "测试甲")
    assert row["phone"] == "139****5678" and row["id_number"] == "3101**********1234"
    assert "13912345678" not in str(led)


def test_ledger_is_scoped_and_refuses_bad_months(routine_world, client):
    w = routine_world
    client.force_login(w["users"]["chief"])
    assert ledger(client, w["grids"][GRID_C]).status_code == 404
    assert client.get("/api/ledgers/999999999/", {"month": MONTH}).status_code == 404
    for bad in ("2026-13", "2026-2", "2099-01", "x" * 40, "1999-12"):
        r = ledger(client, w["grids"][GRID_A], month=bad)
        assert r.status_code == 400 and r.json()["detail"], bad
    assert ledger(client, w["grids"][GRID_A], format="docx").status_code == 400
    client.logout()
    assert ledger(client, w["grids"][GRID_A]).status_code in (401, 403)


def test_ledger_exports_xlsx_with_a_sheet_per_section_and_a_pdf(routine_world, client):
    w = routine_world
    grid = w["grids"][GRID_A]
    s2 = w["subjects"][1]
    s2.name = "=HYPERLINK(\"http://x\")"
    s2.save(update_fields=["name"])
    client.force_login(w["users"]["chief"])
    led = ledger(client, grid).json()
    r = ledger(client, grid, format="xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["概况", "服务对象", "走访", "巡查", "事件", "例会"]
    summary = [row[1] for row in wb["概况"].iter_rows(values_only=True)]
    assert summary[1] == f"{GRID_A} {grid.name}" and summary[2] == MONTH
    assert summary[3] == led["households"]["households"] and summary[4] == led["households"]["addresses"]
    assert summary[7] == led["assessment"]["score"]
    names = [row[0] for row in wb["服务对象"].iter_rows(values_only=True) if row]
    assert "'=HYPERLINK(\"http://x\")" in names  # a formula-looking name stays text
    incidents = [row[1] for row in wb["事件"].iter_rows(values_only=True)]
    assert incidents[1:5] == [led["incidents"]["received"], led["incidents"]["handled"], led["incidents"]["escalated"],
                              led["incidents"]["closed_on_time"]]
    patrols = [row[1] for row in wb["巡查"].iter_rows(values_only=True)]
    assert patrols[1:4] == [2, 3.0, 4.7]
    r = ledger(client, grid, format="pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert int(re.search(rb"/Type /Pages[^>]*?/Count (\d+)", r.content, re.S).group(1)) >= 1
