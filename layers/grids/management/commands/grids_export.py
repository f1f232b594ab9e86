from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from layers.grids.io import EXPORT_FORMATS, grids_export_bytes
from layers.grids.selectors import grid_list


class Command(BaseCommand):
    help = "Export current grids to GeoJSON, GeoPackage or zipped Shapefile."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=list(EXPORT_FORMATS), help="default: from the file's extension")
        parser.add_argument("--kind")
        parser.add_argument("--level", type=int)
        parser.add_argument("--code", help="code prefix (a subtree)")

    def handle(self, *args, file, format, kind, level, code, **options):
        path = Path(file)
        fmt = format or {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp"}.get(path.suffix.lower())
        if fmt is None:
            raise CommandError("give --format or a .geojson/.gpkg/.zip file name")
        data, _ct, _ext = grids_export_bytes(grid_list(kind=kind, level=level, code=code), fmt=fmt)
        path.write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"wrote {path} ({len(data)} bytes)"))
