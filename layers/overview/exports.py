"""Tables to CSV and XLSX for meetings and reviews. Cells that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return) are written as text."""
import csv
import io

from django.http import HttpResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def table_response(*, header: list[str], rows: list[list], fmt: str, filename: str, title: str = "") -> HttpResponse:
    """A CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX download of one table."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = (title or "sheet")[:31]
        ws.append(header)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        resp = HttpResponse(buf.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    else:
        buf = io.StringIO()
        buf.write("\ufeff")
        w = csv.writer(buf)
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else safe_cell(v) for v in row])
        resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    resp["Cache-Control"] = "no-store"
    return resp
