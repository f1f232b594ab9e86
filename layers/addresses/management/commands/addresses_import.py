from django.core.management.base import BaseCommand, CommandError

from layers.addresses.services import DUPLICATE_RULE, addresses_import
from layers.core.crs import CRS_CHOICES
from layers.core.errors import RuleViolation

from .addresses_assign import print_report


def print_import_report(report, out, err) -> None:
    out.write(f"encoding: {report.encoding or '-'}; coordinate system: {report.crs or 'per row (坐标系)'} "
              f"({report.crs_source or '-'})")
    out.write("columns: " + ", ".join(f"{col} -> {ours}" for ours, col in report.mapping.items()))
    if report.unknown_columns:
        out.write("columns not read: " + ", ".join(report.unknown_columns))
    for w in report.warnings:
        err.write(f"WARNING: {w}")
    if report.offset:
        o = report.offset
        out.write(f"offset to stored addresses: {o['east_m']} m east, {o['north_m']} m north ({o['shift_m']} m)")
    if report.offset_verdict:
        err.write(f"WARNING: {report.offset_verdict}")
    if report.blank_rows:
        out.write("blank rows skipped: " + ", ".join(map(str, report.blank_rows)))
    for row, reason in report.bad:
        err.write(f"row {row}: {reason}")
    if report.duplicates:
        out.write(f"duplicates ({DUPLICATE_RULE})")
    for d in report.duplicates:
        kept = f"merged into row {d['kept_row']}" if d["kept_row"] else "not added"
        out.write(f"  row {d['row']} {d['text']}: {kept}, {d['reason']}")


class Command(BaseCommand):
    help = ("Import an address registry: CSV (UTF-8 with or without BOM, GBK, GB18030: detected), .xlsx, GeoJSON "
            "or GeoPackage, with Chinese or English headers (地址/详细地址, 经度, 纬度, 户数, 类型, 坐标系, 编号 ...). "
            "Rows are numbered as the spreadsheet shows them. Nothing is written without --commit; a file with bad "
            "rows is written only with --skip-bad; rows whose 编号 is stored update that address.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--crs", choices=CRS_CHOICES,
                            help="system of the points (required unless the file or a 坐标系 column says it; "
                                 "Chinese web-map data is usually gcj02)")
        parser.add_argument("--encoding", help="text encoding of a CSV (detected when omitted)")
        parser.add_argument("--commit", action="store_true", help="write to the database")
        parser.add_argument("--skip-bad", action="store_true", help="write the good rows even if some are bad")

    def handle(self, *args, file, crs, encoding, commit, skip_bad, **options):
        def progress(n, written=False):
            self.stdout.write(f"  {'written' if written else 'read'} {n} rows")

        try:
            report = addresses_import(path=file, crs=crs, encoding=encoding, commit=commit, skip_bad=skip_bad,
                                      progress=progress)
        except RuleViolation as exc:
            raise CommandError(f"[{exc.rule}] {exc.messages[0]}")
        except OSError as exc:
            raise CommandError(str(exc))
        print_import_report(report, self.stdout, self.stderr)
        self.stdout.write(f"rows: {report.rows}, good: {report.good}, bad: {len(report.bad)}, "
                          f"duplicates merged: {len(report.duplicates)}")
        if not commit:
            self.stdout.write("nothing written (use --commit)")
        elif report.bad and not skip_bad:
            self.stdout.write("nothing written: the file has bad rows (fix them or use --skip-bad)")
        else:
            self.stdout.write(f"written: {report.written} (added {report.created}, updated {report.updated}, "
                              f"unchanged {report.unchanged})")
            print_report(report.assignment, self.stdout)
