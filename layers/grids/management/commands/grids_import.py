import json

from django.core.management.base import BaseCommand, CommandError

from layers.core.crs import CRS_CHOICES
from layers.core.errors import RuleViolation
from layers.grids.importing import CLIP_MAX_M2, SLIVER_MAX_M2, grids_import
from layers.grids.models import Grid, GridKind, GridNetwork


def print_grid_report(report, out, err) -> None:
    """The import report as lines (shared by the command and its tests)."""
    out.write(f"features: {report.features}; coordinate system: {report.crs} ({report.crs_source}); "
              f"name field: {report.name_field}; code field: {report.code_field}; encoding: {report.encoding or '-'}")
    for w in report.warnings:
        err.write(f"WARNING: {w}")
    for n in report.notes:
        out.write(f"note: {n}")
    if report.offset:
        o = report.offset
        out.write(f"offset to stored data: {o['east_m']} m east, {o['north_m']} m north ({o['shift_m']} m); "
                  f"median gap {o['median_gap_unshifted_m']} m -> {o['median_gap_m']} m")
    if report.offset_verdict:
        err.write(f"WARNING: {report.offset_verdict}")
    for a in report.adjustments:
        other = f" / {a['other']}" if a.get("other") else ""
        out.write(f"adjusted: {a['action']} {a['grid']}{other}: {a['area_m2']} m²")
    for g in report.gaps:
        out.write(f"gap remaining: {g['area_m2']} m² {json.dumps(g['geometry'])}")
    for o in report.overlaps:
        out.write(f"overlap remaining: {' / '.join(o['grids'])}: {o['area_m2']} m² {json.dumps(o['geometry'])}")
    for p in report.problems:
        where = f"feature {p['index'] + 1} ({p['feature']})" if p.get("index") is not None else "batch"
        err.write(f"{where}: [{p['rule']}] {p['detail']}")


class Command(BaseCommand):
    help = ("Import grids from GeoJSON (FeatureCollection or bare array), zipped Shapefile or GeoPackage "
            "under a parent. The coordinate system must be declared in the file or given with --crs "
            "(Chinese web-map data is usually GCJ-02). Every feature is checked against the grid rules; "
            "nothing is written without --commit.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--parent", help="code of the current parent grid (omit for a top-level grid)")
        parser.add_argument("--level", type=int, required=True)
        parser.add_argument("--kind", default=GridKind.BASE, choices=GridKind.values)
        parser.add_argument("--network", default=GridNetwork.BASE, choices=GridNetwork.values,
                            help="grid network to import into (default base; party: the party-building grid, "
                                 "codes P..., parent and no-overlap rule within that network, base grids untouched)")
        parser.add_argument("--crs", choices=CRS_CHOICES,
                            help="system of the coordinates (required unless the file declares one)")
        parser.add_argument("--encoding", help="attribute encoding, e.g. GBK (detected when omitted)")
        parser.add_argument("--name-field")
        parser.add_argument("--code-field", help="column of the division code (found by name: adcode, code, 编码, 区划代码...)")
        parser.add_argument("--snap-m", type=float, default=0.0,
                            help="snap vertices to stored neighbours and the parent within N metres, clip small "
                                 "overlaps and give small slivers to a neighbour (default 0: off)")
        parser.add_argument("--clip-max-m2", type=float, default=CLIP_MAX_M2,
                            help=f"with --snap-m, clip overlaps up to this area (default {CLIP_MAX_M2:.0f} m²)")
        parser.add_argument("--sliver-max-m2", type=float, default=SLIVER_MAX_M2,
                            help=f"with --snap-m, give gaps up to this area to a neighbour (default {SLIVER_MAX_M2:.0f} m²)")
        parser.add_argument("--commit", action="store_true", help="write the grids (default: check only)")

    def handle(self, *args, file, parent, level, kind, network, crs, encoding, name_field, code_field, snap_m,
               clip_max_m2, sliver_max_m2, commit, **options):
        parent_grid = None
        if parent:
            parent_grid = Grid.all_networks.filter(code=parent, network=network, valid_to__isnull=True).first()
            if parent_grid is None:
                raise CommandError(f"no current grid with code {parent} in the {network} network")

        def progress(step, i, total):
            if step == "read":
                self.stdout.write(f"read {i}/{total} features")
            elif step == "check":
                self.stdout.write(f"checking {total} features against the grid rules ...")

        try:
            report = grids_import(path=file, parent=parent_grid, level=level, kind=kind, crs=crs, encoding=encoding,
                                  name_field=name_field, code_field=code_field, snap_m=snap_m,
                                  clip_max_m2=clip_max_m2, sliver_max_m2=sliver_max_m2, commit=commit,
                                  progress=progress, network=network)
        except RuleViolation as exc:
            raise CommandError(f"[{exc.rule}] {exc.messages[0]}")
        print_grid_report(report, self.stdout, self.stderr)
        if report.problems:
            raise CommandError(f"{len(report.problems)} feature(s) break the rules; nothing was written")
        if not commit:
            self.stdout.write(self.style.SUCCESS(f"all {report.features} features pass; nothing written "
                                                 f"(use --commit to write)"))
            return
        for g in report.created:
            self.stdout.write(f"created {g['code']} {g['name']}")
        self.stdout.write(self.style.SUCCESS(f"imported {len(report.created)} grids"))
