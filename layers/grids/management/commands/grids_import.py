from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from layers.core.errors import RuleViolation
from layers.grids.io import read_grid_file
from layers.grids.models import Grid, GridKind
from layers.grids.services import BatchRuleViolation, GridSpec, grids_create


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = ("Import grids from GeoJSON, zipped Shapefile or GeoPackage under a parent. Every feature "
            "is checked against the grid rules; nothing is written without --commit.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--parent", help="code of the current parent grid (omit for a top-level grid)")
        parser.add_argument("--level", type=int, required=True)
        parser.add_argument("--kind", default=GridKind.BASE, choices=GridKind.values)
        parser.add_argument("--encoding", help="attribute encoding, e.g. GBK (detected when omitted)")
        parser.add_argument("--name-field")
        parser.add_argument("--code-field")
        parser.add_argument("--commit", action="store_true", help="write the grids (default: check only)")

    def handle(self, *args, file, parent, level, kind, encoding, name_field, code_field, commit, **options):
        parent_grid = None
        if parent:
            parent_grid = Grid.objects.filter(code=parent, valid_to__isnull=True).first()
            if parent_grid is None:
                raise CommandError(f"no current grid with code {parent}")
        try:
            read = read_grid_file(file, encoding=encoding, name_field=name_field, code_field=code_field)
        except RuleViolation as exc:
            raise CommandError(exc.messages[0])
        for note in read.notes:
            self.stdout.write(f"note: {note}")
        frame = read.frame
        total = len(frame)
        if total == 0:
            raise CommandError("the file holds no features")
        specs = []
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            name = str(getattr(row, read.name_field)) if read.name_field else f"#{i}"
            code = getattr(row, read.code_field) if read.code_field else None
            specs.append(GridSpec(name=name, geometry=row.geometry if row.geometry is not None else "POLYGON EMPTY",
                                  code=str(code) if code not in (None, "") else None))
            if i % 100 == 0 or i == total:
                self.stdout.write(f"read {i}/{total} features")
        self.stdout.write(f"checking {total} features against the grid rules ...")
        try:
            with transaction.atomic():
                grids = grids_create(parent=parent_grid, level=level, kind=kind, specs=specs)
                if not commit:
                    raise _DryRun
        except BatchRuleViolation as exc:
            for p in exc.as_dict()["problems"]:
                self.stderr.write(f"feature {p['index'] + 1} ({p['feature']}): [{p['rule']}] {p['detail']}")
            raise CommandError(f"{len(exc.problems)} feature(s) break the rules; nothing was written")
        except RuleViolation as exc:
            raise CommandError(f"[{exc.rule}] {exc.messages[0]}; nothing was written")
        except _DryRun:
            self.stdout.write(self.style.SUCCESS(f"all {total} features pass; nothing written (use --commit to write)"))
            return
        for g in grids:
            self.stdout.write(f"created {g.code} {g.name}")
        self.stdout.write(self.style.SUCCESS(f"imported {len(grids)} grids"))
