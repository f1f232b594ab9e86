from django.core.management.base import BaseCommand, CommandError

from layers.addresses.services import addresses_import
from layers.core.crs import CRS_CHOICES
from layers.core.errors import RuleViolation

from .addresses_assign import print_report


class Command(BaseCommand):
    help = ("Import addresses from CSV (lon/lat or WKT columns), GeoJSON or GeoPackage. Nothing is "
            "written without --commit; a file with bad rows is written only with --skip-bad.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--crs", default="wgs84", choices=CRS_CHOICES, help="system of the input points")
        parser.add_argument("--commit", action="store_true", help="write to the database")
        parser.add_argument("--skip-bad", action="store_true", help="write the good rows even if some are bad")

    def handle(self, *args, file, crs, commit, skip_bad, **options):
        def progress(n, written=False):
            self.stdout.write(f"  {'written' if written else 'read'} {n} rows")

        try:
            report = addresses_import(path=file, crs=crs, commit=commit, skip_bad=skip_bad, progress=progress)
        except (RuleViolation, OSError, ValueError) as exc:
            raise CommandError(str(exc.messages[0] if isinstance(exc, RuleViolation) else exc))
        for row, reason in report.bad:
            self.stderr.write(f"row {row}: {reason}")
        self.stdout.write(f"rows: {report.rows}, good: {report.good}, bad: {len(report.bad)}")
        if not commit:
            self.stdout.write("nothing written (use --commit)")
        elif report.bad and not skip_bad:
            self.stdout.write("nothing written: the file has bad rows (fix them or use --skip-bad)")
        else:
            self.stdout.write(f"written: {report.written}")
            print_report(report.assignment, self.stdout)
