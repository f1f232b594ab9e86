"""Tables to CSV and XLSX for meetings and reviews. Cells that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return) are written as text, by the one
helper every export uses (layers/core/exports.py)."""
import io

from django.http import HttpResponse

from layers.audit.services import audit_record
from layers.core.exports import csv_writer, xlsx_append


def table_response(*, header: list[str], rows: list[list], fmt: str, filename: str, title: str = "",
                   request=None) -> HttpResponse:
    """A CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX download of one table; with the
    request, the export is written to the audit log."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = (title or "sheet")[:31]
        xlsx_append(ws, header)
        for row in rows:
            xlsx_append(ws, row)
        buf = io.BytesIO()
        wb.save(buf)
        resp = HttpResponse(buf.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    else:
        buf = io.StringIO()
        buf.write("\ufeff")
        w = csv_writer(buf)
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
        resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    resp["Cache-Control"] = "no-store"
    if request is not None:
        audit_record(action="export", request=request, target_type=f"overview.{filename.split('-')[0]}",
                     rows=len(rows), format=fmt)
    return resp
