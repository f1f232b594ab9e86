"""The leaders' overview and the monthly assessment: figures per grid, scoped, sortable,
flagged, exported."""
import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from layers.incidents.services import incident_create, incident_transition, rating_create
from layers.core.exports import safe_cell
from layers.overview.models import Assessment
from layers.overview.selectors import overview_list, overview_sorted, period_month
from layers.overview.services import assessment_compute, assessment_score
from layers.staff.models import Role



pytestmark = pytest.mark.django_db
STREET = "310106013000"
MARCH = dt.date(2026, 3, 1)
GRID_A, GRID_B = "310106013001001", "310106013001002"


def _close(incident, user, clock, *, late=False):
    for to in ("accepted", "dispatched", "in_progress"):
        incident = incident_transition(incident=incident, user=user, to=to)
    if late:
        clock.advance(days=10)
    incident = incident_transition(incident=incident, user=user, to="resolved")
    incident = incident_transition(incident=incident, user=user, to="verified")
    return incident_transition(incident=incident, user=user, to="closed")


@pytest.fixture
def march(taxonomy, inside, clock, make_user, demo_grids):
    """In March 2026, GRID_A receives four cases: two closed (one on time, one late, rated 5 and
    3), one open past its deadline, one open in time. GRID_B has a head; GRID_A a head."""
    head_a = make_user("ov-head-a", Role.GRID_HEAD, demo_grids[GRID_A])
    head_b = make_user("ov-head-b", Role.GRID_HEAD, demo_grids[GRID_B])
    leader = make_user("ov-leader", Role.STREET_LEADER, demo_grids[STREET])
    lon, lat = inside(GRID_A)

    def new():
        return incident_create(lon=lon, lat=lat, description="楼道堆物", type="CA01")
    overdue = new()  # never accepted: past its 24 h accept deadline once the clock moves on
    on_time = _close(new(), head_a, clock)
    late = _close(new(), head_a, clock, late=True)  # resolved 10 days on, after its deadline
    rating_create(incident=on_time, user=leader, score=5)
    rating_create(incident=late, user=leader, score=3)
    clock.advance(days=2)
    new()  # 14 March: open and in time
    return {"head_a": head_a, "head_b": head_b, "leader": leader, "overdue": overdue}


def rows_by_code(rows):
    return {r["grid"]["code"]: r for r in rows}


def test_overview_row_has_the_figures_leaders_rank_by(march, demo_grids):
    rows = rows_by_code(overview_list(user=march["leader"], level=4, period=period_month(MARCH)))
    a = rows[GRID_A]
    assert a["grid"] == {"id": demo_grids[GRID_A].pk, "code": GRID_A, "name": demo_grids[GRID_A].name, "level": 4}
    assert (a["received"], a["closed"], a["closed_on_time"]) == (4, 2, 1)
    assert a["closure_rate"] == 0.5 and a["on_time_rate"] == 0.5 and a["satisfaction"] == 4.0
    assert (a["open"], a["overdue"]) == (2, 1)
    assert a["staff"] >= 1 and "no_staff" not in a["flags"]
    assert "overdue_share_high" in a["flags"]  # 1 of 2 open cases overdue
    b = rows[GRID_B]
    assert b["received"] == 0 and b["closure_rate"] is None and b["on_time_rate"] is None


def test_patrol_hours_count_the_finished_patrols_of_the_period_over_the_subtree(march, demo_grids):
    from layers.patrols.models import Patrol

    def patrol(day, minutes, ended=True):
        start = dt.datetime(2026, 3, day, 9, tzinfo=dt.timezone.utc) if day else dt.datetime(2026, 2, 20, 9, tzinfo=dt.timezone.utc)
        Patrol.objects.create(member=march["head_a"], grid=demo_grids[GRID_A], started_at=start,
                              ended_at=start + dt.timedelta(minutes=minutes) if ended else None)
    patrol(3, 90)
    patrol(10, 45)
    patrol(0, 600)  # February: outside the period
    patrol(20, 0, ended=False)  # still walking: not counted
    rows = rows_by_code(overview_list(user=march["leader"], level=4, period=period_month(MARCH)))
    assert rows[GRID_A]["patrol_hours"] == 2.25 and rows[GRID_B]["patrol_hours"] == 0.0
    # The residential area above counts its micro-grids' patrols.
    area = rows_by_code(overview_list(user=march["leader"], level=3, period=period_month(MARCH)))
    assert area[GRID_A[:-3]]["patrol_hours"] == 2.25
    by_hours = overview_sorted(list(rows.values()), sort="patrol_hours", descending=True)
    assert by_hours[0]["grid"]["code"] == GRID_A


def test_every_micro_grid_of_the_street_has_a_row_for_a_leader_and_unstaffed_ones_are_flagged(march):
    rows = overview_list(user=march["leader"], level=4, period=period_month(MARCH))
    assert len(rows) == 37
    no_staff = [r for r in rows if "no_staff" in r["flags"]]
    assert no_staff and all(r["staff"] == 0 for r in no_staff)
    assert all(r["staff"] > 0 for r in rows if "no_staff" not in r["flags"])


def test_a_grid_head_sees_only_their_own_grid(march):
    rows = overview_list(user=march["head_b"], level=4, period=period_month(MARCH))
    assert [r["grid"]["code"] for r in rows] == [GRID_B]


def test_sorting_puts_empty_values_last_and_filters_by_flag_and_text(march):
    rows = overview_list(user=march["leader"], level=4, period=period_month(MARCH))
    by_hps = overview_sorted(rows, sort="households_per_staff", descending=True)
    values = [r["households_per_staff"] for r in by_hps]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True)
    assert values[len(present):] == [None] * (len(values) - len(present))
    on_time = overview_sorted(rows, sort="on_time_rate")
    assert on_time[0]["grid"]["code"] == GRID_A
    flagged = overview_sorted(rows, flag="no_staff")
    assert flagged and all("no_staff" in r["flags"] for r in flagged)
    assert [r["grid"]["code"] for r in overview_sorted(rows, text=GRID_B[-6:])] == [GRID_B]


def test_api_answers_the_contract_and_refuses_bad_parameters(march, client):
    client.force_login(march["leader"])
    r = client.get("/api/overview/", {"level": 4, "month": "2026-03", "sort": "on_time_rate", "order": "desc"})
    assert r.status_code == 200, r.content
    row = r.json()["rows"][0]
    assert set(row) >= {"grid", "households", "staff", "households_per_staff", "open", "overdue", "closure_rate",
                        "on_time_rate", "satisfaction", "flags"}
    assert row["grid"]["code"] == GRID_A
    for bad in ({}, {"level": "x"}, {"level": 4, "month": "2026-13"}, {"level": 4, "month": "2099-01"},
                {"level": 4, "sort": "password"}, {"level": 4, "q": "a\x00b"}, {"level": 99999999999999999999}):
        r = client.get("/api/overview/", bad)
        assert r.status_code == 400, (bad, r.status_code)
        assert r.json()["detail"]


def test_api_needs_login(client):
    assert client.get("/api/overview/", {"level": 4}).status_code in (401, 403)


def test_exports_carry_the_rows_and_neutralise_formulas(march, client, demo_grids):
    grid = demo_grids[GRID_A]
    grid.name = "=HYPERLINK(\"http://x\")"
    grid.save(update_fields=["name"])
    client.force_login(march["leader"])
    r = client.get("/api/overview/", {"level": 4, "month": "2026-03", "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(table) == 38
    row = next(t for t in table if t[0] == GRID_A)
    assert row[1].startswith("'=")
    r = client.get("/api/overview/", {"level": 4, "month": "2026-03", "format": "xlsx"})
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.max_row == 38
    names = [c.value for c in ws["B"]]
    assert ws.cell(1, 14).value == "巡查时长（小时）"
    assert "'=HYPERLINK(\"http://x\")" in names
    assert safe_cell("-1") == "'-1" and safe_cell(5) == 5 and safe_cell("网格") == "网格"


def test_assessment_scores_every_micro_grid_with_the_figures_behind(march, client):
    n = assessment_compute(month=MARCH)
    assert n == Assessment.objects.filter(month=MARCH).count()
    client.force_login(march["leader"])
    r = client.get("/api/assessments/", {"month": "2026-03", "level": 4})
    assert r.status_code == 200, r.content
    body = r.json()
    assert len(body["rows"]) == 37
    a = next(x for x in body["rows"] if x["grid"]["code"] == GRID_A)
    assert a["closure_rate"] == 0.5 and a["on_time_rate"] == 0.5 and a["satisfaction"] == 0.75
    assert a["figures"]["received"] == 4
    expected = assessment_score({k: a[k] for k in body["weights"]}, body["weights"])
    assert a["score"] == expected and a["rank"] >= 1
    ranks = [x["rank"] for x in body["rows"] if x["rank"] is not None]
    assert sorted(ranks) == list(range(1, len(ranks) + 1))
    heads = {s["grid"]: s for s in body["staff"]}
    assert GRID_A in heads and heads[GRID_A]["cases_handled"] == 2
    # A grid head sees only their grid's row.
    client.force_login(march["head_b"])
    rows = client.get("/api/assessments/", {"month": "2026-03", "level": 4}).json()["rows"]
    assert [x["grid"]["code"] for x in rows] == [GRID_B]


def test_assessment_score_skips_indicators_without_a_value():
    w = {"a": 0.5, "b": 0.5}
    assert assessment_score({"a": 1.0, "b": None}, w) == 100.0
    assert assessment_score({"a": 1.0, "b": 0.0}, w) == 50.0
    assert assessment_score({"a": None, "b": None}, w) is None


def test_assessment_export_and_bad_months(march, client):
    client.force_login(march["leader"])
    r = client.get("/api/assessments/", {"month": "2026-03", "level": 4, "format": "xlsx"})
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.content)).active.max_row == 38
    assert client.get("/api/assessments/", {"month": "March", "level": 4}).status_code == 400
    assert client.get("/api/assessments/", {"level": 4}).status_code == 400
