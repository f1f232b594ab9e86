"""The ledger as files: an XLSX workbook with one sheet per section (every cell through the
one formula-neutralising helper, layers/core/exports.py) and a one-document PDF."""
import io

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from layers.core.exports import xlsx_append

from .pdf import html_to_pdf


def _pct(v):
    return None if v is None else round(100 * v, 1)


def ledger_sheets(ledger: dict) -> list[tuple[str, list[list]]]:
    """(sheet title, rows) per section; the first row of each is its header."""
    g, inc, vis, pat, mt, hh = (ledger["grid"], ledger["incidents"], ledger["visits"], ledger["patrols"],
                                ledger["meetings"], ledger["households"])
    summary = [[_("item"), _("value")],
               [_("grid"), f"{g['code']} {g['name']}"], [_("month"), ledger["month"]],
               [_("households"), hh["households"]], [pgettext("ledger", "addresses"), hh["addresses"]], [_("grid staff"), hh["staff"]],
               [_("households per staff member"), hh["households_per_staff"]],
               [_("assessment score"), ledger["assessment"]["score"]], [_("rank within level"), ledger["assessment"]["rank"]]]
    subjects = [[_("category"), _("count")]] + [[c["label"], c["count"]] for c in ledger["subjects"]["by_category"]]
    subjects.append([_("total"), ledger["subjects"]["total"]])
    if "rows" in ledger["subjects"]:
        subjects += [[], [_("name"), _("category"), _("address"), _("micro-grid"), _("phone"), _("ID number"),
                          _("last visit")]]
        subjects += [[s["name"], s["category"], s["address"], s["grid"], s["phone"], s["id_number"], s["last_visit"]]
                     for s in ledger["subjects"]["rows"]]
    visits = [[_("item"), _("value")], [_("visits made"), vis["made"]], [_("visits missed"), vis["missed"]],
              [_("visits within cadence (%)"), _pct(vis["visited_within_cadence"])]]
    patrols = [[_("item"), _("value")], [_("patrols"), pat["count"]], [_("patrol hours"), pat["hours"]],
               [_("patrol distance (km)"), pat["distance_km"]]]
    incidents = [[_("item"), _("value")], [_("received"), inc["received"]], [_("handled (closed)"), inc["handled"]],
                 [_("escalated"), inc["escalated"]], [_("closed on time"), inc["closed_on_time"]],
                 [_("closure rate (%)"), _pct(inc["closure_rate"])], [_("on-time closure rate (%)"), _pct(inc["on_time_rate"])],
                 [_("satisfaction (1-5)"), inc["satisfaction"]], [_("open now"), inc["open_now"]],
                 [_("overdue now"), inc["overdue_now"]]]
    if "rows" in inc:
        incidents += [[], [_("case number"), _("type"), _("micro-grid"), _("status"), _("reported at"), _("escalated")]]
        incidents += [[i["ref"], i["type"], i["grid"], i["status"], i["reported_at"], _("yes") if i["escalated"] else ""]
                      for i in inc["rows"]]
    meetings = [[_("item"), _("value")], [_("meetings held"), mt["held"]], [_("meetings scheduled"), mt["scheduled"]],
                [_("decisions"), mt["decisions"]], [_("decisions open"), mt["decisions_open"]],
                [_("tasks"), mt["tasks"]], [_("decisions turned into incidents"), mt["incidents"]]]
    if "decision_rows" in mt:
        meetings += [[], [_("meeting date"), _("decision"), _("kind"), _("owner"), _("deadline"), _("incident"), _("open")]]
        meetings += [[d["date"], d["text"], d["kind"], d["owner"], d["deadline"], d["incident"],
                      _("yes") if d["open"] else _("no")] for d in mt["decision_rows"]]
    return [(pgettext("ledger sheet", "summary"), summary), (pgettext("ledger sheet", "subjects"), subjects),
            (pgettext("ledger sheet", "visits"), visits), (pgettext("ledger sheet", "patrols"), patrols),
            (pgettext("ledger sheet", "incidents"), incidents), (pgettext("ledger sheet", "meetings"), meetings)]


def ledger_blocks(ledger: dict) -> list[dict]:
    """The sheets for a page: each split at its blank rows into tables whose first row is the
    header; cells paired with their column's header (a phone shows each row as a labelled card)."""
    out = []
    for title, rows in ledger_sheets(ledger):
        tables, current = [], []
        for row in rows + [[]]:
            if row:
                current.append(row)
            elif current:
                header, body = current[0], current[1:]
                tables.append({"header": header, "rows": [list(zip(header, r)) for r in body],
                               "pairs": len(header) == 2})
                current = []
        out.append({"title": title, "tables": tables})
    return out


def ledger_xlsx(ledger: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in ledger_sheets(ledger):
        ws = wb.create_sheet(title[:31])
        for row in rows:
            xlsx_append(ws, row)
        ws.column_dimensions["A"].width = 28
        ws.column_dimensions["B"].width = 24
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def inline_css(path: str) -> str:
    found = finders.find(path)
    if not found:
        return ""
    with open(found, encoding="utf-8") as f:
        return f.read()


def ledger_pdf(ledger: dict, *, request=None) -> bytes:
    html = render_to_string("routines/ledger_print.html", {"ledger": ledger, "sheets": ledger_sheets(ledger),
                                                          "css": inline_css("routines/print.css")}, request=request)
    return html_to_pdf(html)


def meeting_pdf(context: dict, *, request=None) -> bytes:
    html = render_to_string("routines/meeting_print.html", {**context, "css": inline_css("routines/print.css"),
                                                           "pdf": True}, request=request)
    return html_to_pdf(html, one_page=True)
