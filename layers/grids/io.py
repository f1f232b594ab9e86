"""Grid files in and out: GeoJSON, zipped Shapefile, GeoPackage (geopandas + pyogrio)."""
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation

from .frames import grid_frame
from .models import Grid

NAME_FIELDS = ("name", "NAME", "Name", "名称", "网格名称", "grid_name", "MC")
CODE_FIELDS = ("code", "CODE", "Code", "编码", "网格编码", "grid_code", "BM")
EXPORT_FORMATS = {"geojson": ("GeoJSON", "application/geo+json", "geojson"),
                  "gpkg": ("GPKG", "application/geopackage+sqlite3", "gpkg"),
                  "shp": ("ESRI Shapefile", "application/zip", "zip")}


@dataclass
class ReadResult:
    frame: gpd.GeoDataFrame
    encoding: str | None
    name_field: str | None
    code_field: str | None
    notes: list[str]


def _dbf_bytes(path: Path) -> tuple[bytes | None, bool]:
    """The .dbf of a (zipped) Shapefile and whether a .cpg declares its encoding."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            dbf = next((n for n in names if n.lower().endswith(".dbf")), None)
            has_cpg = any(n.lower().endswith(".cpg") for n in names)
            return (z.read(dbf) if dbf else None), has_cpg
    if path.suffix.lower() == ".shp":
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        has_cpg = path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists()
        return (dbf.read_bytes() if dbf else None), has_cpg
    return None, True


def detect_shapefile_encoding(path: Path) -> str | None:
    """Shapefiles from Chinese sources are often GBK with no .cpg; GDAL would then read them
    as Latin-1 and produce mojibake. If the DBF's records are not UTF-8 but decode as GBK,
    say GBK; None means let GDAL decide (a .cpg or plain ASCII)."""
    data, has_cpg = _dbf_bytes(path)
    if data is None or has_cpg or len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    records = data[header_len:]
    if records.isascii():
        return None
    try:
        records.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        records.decode("gb18030")
        return "GB18030"
    except UnicodeDecodeError:
        return None


def read_grid_file(path: str | Path, *, encoding: str | None = None, name_field: str | None = None,
                   code_field: str | None = None) -> ReadResult:
    """Read a GeoJSON, GeoPackage or (zipped) Shapefile into a GeoDataFrame in the storage SRID."""
    path = Path(path)
    if not path.exists():
        raise RuleViolation("file_missing", _("File not found: %(p)s") % {"p": path})
    notes = []
    if encoding is None:
        encoding = detect_shapefile_encoding(path)
        if encoding:
            notes.append(_("Shapefile without .cpg read as %(enc)s") % {"enc": encoding})
    try:
        frame = pyogrio.read_dataframe(path, encoding=encoding) if encoding else pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        raise RuleViolation("file_unreadable", _("Cannot read %(p)s: %(e)s") % {"p": path.name, "e": exc})
    if frame.crs is None:
        notes.append(_("The file declares no coordinate system; taken as longitude/latitude (WGS84/CGCS2000)"))
        frame = frame.set_crs(settings.GEOGRID_SRID, allow_override=True)
    elif frame.crs.to_epsg() != settings.GEOGRID_SRID:
        notes.append(_("Transformed from %(crs)s") % {"crs": frame.crs.to_string()})
        frame = frame.to_crs(settings.GEOGRID_SRID)
    name_field = name_field or next((f for f in NAME_FIELDS if f in frame.columns), None)
    code_field = code_field or next((f for f in CODE_FIELDS if f in frame.columns), None)
    return ReadResult(frame=frame, encoding=encoding, name_field=name_field, code_field=code_field, notes=notes)


def grids_export_bytes(qs: QuerySet[Grid], *, fmt: str) -> tuple[bytes, str, str]:
    """Export to GeoJSON, GeoPackage or zipped Shapefile (UTF-8 with a .cpg); returns
    (content, content type, file extension)."""
    driver, content_type, ext = EXPORT_FORMATS[fmt]
    frame = grid_frame(qs, details=True)
    # Files name the parent by its code; the version counter is internal.
    frame = frame.drop(columns=["parent", "version"]).rename(columns={"parent_code": "parent"})
    with tempfile.TemporaryDirectory() as tmp:
        if fmt == "shp":
            target = Path(tmp) / "grids.shp"
            pyogrio.write_dataframe(frame, target, driver=driver, encoding="UTF-8")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(Path(tmp).iterdir()):
                    z.write(f, f.name)
            return buf.getvalue(), content_type, ext
        target = Path(tmp) / f"grids.{ext}"
        pyogrio.write_dataframe(frame, target, driver=driver)
        return target.read_bytes(), content_type, ext
