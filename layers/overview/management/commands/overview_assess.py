"""Compute and store a month's assessment of every grid and staff member (for a scheduler:
run on the 1st for the month before; safe to run again, it replaces that month's rows)."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layers.overview.services import assessment_compute


class Command(BaseCommand):
    help = "Compute the monthly assessment (考核) of every grid: --month YYYY-MM (default last month)"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default the previous month")

    def handle(self, *args, month=None, **opts):
        if month:
            try:
                day = dt.datetime.strptime(month, "%Y-%m").date()
            except ValueError:
                raise CommandError("--month must be YYYY-MM")
        else:
            day = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        n = assessment_compute(month=day)
        self.stdout.write(f"{day:%Y-%m}: {n} grids assessed")
