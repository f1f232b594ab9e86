from django.core.management.base import BaseCommand
from django.db import transaction

from layers.addresses.services import AssignmentReport, addresses_assign_all


class _DryRun(Exception):
    pass


def print_report(report: AssignmentReport, out, *, limit: int = 50) -> None:
    out.write(f"addresses: {report.considered}, in a micro-grid: {report.assigned}, "
              f"near a boundary: {report.near_boundary}, coverage gaps: {report.gap_count}")
    out.write(f"changed grid: {report.changed}, rows written: {report.updated} "
              f"({report.seconds:.2f} s, of which the spatial join {report.compute_seconds:.2f} s)")
    for m in report.moves[:limit]:
        out.write(f"  {m['from'] or '(none)'} -> {m['to'] or '(none)'}: {m['count']}")
    if len(report.moves) > limit:
        out.write(f"  ... and {len(report.moves) - limit} more pairs")
    for g in report.gaps[:limit]:
        out.write(f"  gap: #{g['id']} {g['full_text']}")
    if report.gap_count > min(limit, len(report.gaps)):
        out.write(f"  ... {report.gap_count - min(limit, len(report.gaps))} more gaps")


class Command(BaseCommand):
    help = ("Assign every address to its micro-grid and special grids and print the diff "
            "(how many moved, from which grid to which) and the coverage gaps. "
            "Re-assignment only derives data from the boundaries, so it is applied by default; "
            "--dry-run shows the diff and writes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="compute and print the diff, write nothing")
        parser.add_argument("--full", action="store_true",
                            help="measure every edge distance again (by default only where a point or its grid changed)")
        parser.add_argument("--limit", type=int, default=50, help="how many move pairs and gaps to list")
        parser.add_argument("--engine", choices=["postgis", "dask"], default="postgis",
                            help="postgis: the join inside the database (default); dask: on a Dask cluster "
                                 "(a LocalCluster here unless a scheduler is given), results written back by COPY")
        parser.add_argument("--scheduler", default=None,
                            help="dask: the scheduler's address (default: settings GEOGRID_DASK_SCHEDULER; "
                                 "empty: a LocalCluster)")
        parser.add_argument("--workers", type=int, default=None,
                            help="dask: workers of the LocalCluster (default: settings GEOGRID_DASK_WORKERS)")

    def handle(self, *args, dry_run=False, full=False, limit=50, engine="postgis", scheduler=None, workers=None,
               **options):
        def run():
            if engine == "dask":
                from layers.addresses.dask_engine import addresses_assign_dask

                return addresses_assign_dask(force=full, gap_limit=limit, scheduler=scheduler, workers=workers)
            return addresses_assign_all(full=full, gap_limit=limit)

        if dry_run:
            try:
                with transaction.atomic():
                    report = run()
                    raise _DryRun
            except _DryRun:
                pass
            self.stdout.write("dry run: nothing written")
        else:
            report = run()
        print_report(report, self.stdout, limit=limit)
        if engine == "dask":
            self.stdout.write(f"dask: {report.steps.get('workers')} workers, {report.steps.get('tiles')} tiles")
