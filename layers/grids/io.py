"""Grid files in and out: GeoJSON, zipped Shapefile, GeoPackage (geopandas + pyogrio)."""
import datetime as dt
import io
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layers.core.crs import crs_missing_message, geometry_to_storage, normalise_crs
from layers.core.errors import RuleViolation

from .frames import grid_frame
from .models import Grid

NAME_FIELDS = ("name", "NAME", "Name", "名称", "网格名称", "区划名称", "grid_name", "MC")
# Division codes come under many names: DataV/Gaode `adcode`, statistics `区划代码`, ...
CODE_FIELDS = ("code", "CODE", "Code", "adcode", "ADCODE", "Adcode", "编码", "网格编码", "区划代码",
               "行政区划代码", "division_code", "grid_code", "BM", "DM")
EXPORT_FORMATS = {"geojson": ("GeoJSON", "application/geo+json", "geojson"),
                  "gpkg": ("GPKG", "application/geopackage+sqlite3", "gpkg"),
                  "shp": ("ESRI Shapefile", "application/zip", "zip")}
# Columns of an export that are the system's own; source attributes never overwrite them.
_OWN_COLUMNS = {"id", "code", "name", "level", "kind", "use", "parent", "station", "valid_from", "valid_to",
                "geometry", "version"}


@dataclass
class ReadResult:
    frame: gpd.GeoDataFrame          # geometry in the storage datum
    encoding: str | None
    name_field: str | None
    code_field: str | None
    notes: list[str]
    attributes: list[dict] = field(default_factory=list)  # every source attribute, per feature
    crs: str | None = None           # the system the coordinates were read in (wgs84, gcj02, ...)
    crs_source: str = ""             # "file", "given" or "assumed" (dry run without a system only)
    warnings: list[str] = field(default_factory=list)     # loud ones: the user must act
    padded: list[tuple[str, str]] = field(default_factory=list)  # (code as given, 12-digit code)
    codes: list[str | None] = field(default_factory=list)  # per feature, padded; None without a code field
    raw_frame: gpd.GeoDataFrame | None = None  # geometry as read, before datum conversion


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


def pad_division_code(value) -> str | None:
    """A division code as 12 digits: 6-digit (county, as DataV/Gaode give it) and 9-digit
    (street) codes are padded with zeros; numbers read as floats lose their ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isascii() and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) in (6, 9):
        return text.ljust(12, "0")
    return text


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _read_geojson(path: Path) -> tuple[gpd.GeoDataFrame, list[dict], str | None]:
    """GeoJSON read here rather than by GDAL: DataV files may be a bare JSON array of features,
    and their nested attributes (parent, acroutes, center) must survive as they are.
    Returns the frame (no CRS set), the attributes and the CRS named in a legacy `crs` member."""
    import shapely.geometry

    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RuleViolation("file_unreadable", _("Cannot read %(p)s: %(e)s") % {"p": path.name, "e": exc})
    named = None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        named = ((data.get("crs") or {}).get("properties") or {}).get("name")
    elif isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    elif isinstance(data, list):
        features = data
    else:
        raise RuleViolation("file_unreadable", _("%(p)s is neither a FeatureCollection nor an array of features")
                            % {"p": path.name})
    attrs, geoms = [], []
    for f in features:
        if not isinstance(f, dict):
            raise RuleViolation("file_unreadable", _("%(p)s holds something that is not a feature") % {"p": path.name})
        props = f.get("properties") or {}
        attrs.append(_json_safe(props))
        g = f.get("geometry")
        try:
            geoms.append(shapely.geometry.shape(g) if g else None)
        except Exception:  # shapely raises several kinds on malformed coordinates
            geoms.append(None)
    flat = [{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in a.items()}
            for a in attrs]
    frame = gpd.GeoDataFrame(flat, geometry=gpd.GeoSeries(geoms), crs=None)
    return frame, attrs, named


def read_grid_file(path: str | Path, *, encoding: str | None = None, name_field: str | None = None,
                   code_field: str | None = None, crs: str | None = None, dry_run: bool = False) -> ReadResult:
    """Read a GeoJSON (FeatureCollection or bare array), GeoPackage or (zipped) Shapefile into a
    GeoDataFrame in the storage datum. `crs` (wgs84, cgcs2000, gcj02, bd09) says what the
    coordinates are; with neither it nor a system in the file the import stops (a dry run
    goes on as WGS84 with a loud warning): most Chinese web-map data is GCJ-02."""
    path = Path(path)
    if not path.exists():
        raise RuleViolation("file_missing", _("File not found: %(p)s") % {"p": path})
    notes, warnings = [], []
    given = normalise_crs(crs) if crs else None
    named = None
    if path.suffix.lower() in (".json", ".geojson"):
        frame, attributes, named = _read_geojson(path)
    else:
        if encoding is None:
            encoding = detect_shapefile_encoding(path)
            if encoding:
                notes.append(_("Shapefile without .cpg read as %(enc)s") % {"enc": encoding})
        try:
            frame = pyogrio.read_dataframe(path, encoding=encoding) if encoding else pyogrio.read_dataframe(path)
        except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
            raise RuleViolation("file_unreadable", _("Cannot read %(p)s: %(e)s") % {"p": path.name, "e": exc})
        attributes = [_json_safe(r) for r in frame.drop(columns="geometry").to_dict("records")]
    declared = frame.crs is not None or (named is not None)
    if named is not None and frame.crs is None:
        try:
            frame = frame.set_crs(named)
        except Exception:  # pyproj.CRSError: an unknown name
            raise RuleViolation("crs_unknown", _("The file names an unknown coordinate system %(n)s") % {"n": named})
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, 4490):
        notes.append(_("Transformed from %(crs)s") % {"crs": frame.crs.to_string()})
        frame = frame.to_crs(4326)
    if given:
        used, source = given, "given"
    elif declared:
        used, source = ("cgcs2000" if frame.crs.to_epsg() == 4490 else "wgs84"), "file"
    elif dry_run:
        used, source = "wgs84", "assumed"
        warnings.append(crs_missing_message() + " " + _("This dry run read it as WGS84; the import will not run without --crs."))
    else:
        raise RuleViolation("crs_missing", crs_missing_message())
    raw = frame.set_crs(settings.GEOGRID_SRID, allow_override=True)
    if used in ("gcj02", "bd09"):
        notes.append(_("Coordinates converted from %(crs)s to the storage datum") % {"crs": used.upper()})
        frame = raw.copy()
        frame["geometry"] = [geometry_to_storage(g, used) for g in raw.geometry]
        frame = frame.set_geometry("geometry").set_crs(settings.GEOGRID_SRID, allow_override=True)
    else:
        frame = raw
    name_field = name_field or next((f for f in NAME_FIELDS if f in frame.columns), None)
    if code_field and code_field not in frame.columns:
        raise RuleViolation("code_field", _("There is no column %(f)s; the columns are %(cols)s")
                            % {"f": code_field, "cols": ", ".join(c for c in frame.columns if c != "geometry")})
    code_field = code_field or next((f for f in CODE_FIELDS if f in frame.columns), None)
    padded, codes = [], [None] * len(frame)
    if code_field:
        codes = []
        for value in frame[code_field]:
            code = pad_division_code(value)
            raw_text = None if value is None else str(value).strip()
            if code and raw_text and code != raw_text and not raw_text.endswith(".0"):
                padded.append((raw_text, code))
            codes.append(code)
        if padded:
            notes.append(_("%(n)d division code(s) of 6 or 9 digits padded to 12 (e.g. %(a)s -> %(b)s)")
                         % {"n": len(padded), "a": padded[0][0], "b": padded[0][1]})
    return ReadResult(frame=frame, encoding=encoding, name_field=name_field, code_field=code_field, notes=notes,
                      attributes=attributes, crs=used, crs_source=source, warnings=warnings, padded=padded,
                      raw_frame=raw, codes=codes)


def with_source_attributes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The grids' source attributes (Grid.attributes) added as their own columns, nested values as
    JSON text, so an imported file goes back out with what it came with; a source column never
    hides a column of the system."""
    if frame.empty:
        return frame
    attrs = dict(Grid.objects.filter(pk__in=[int(i) for i in frame["id"]]).values_list("pk", "attributes"))
    own = set(frame.columns) | _OWN_COLUMNS
    keys = []
    for a in attrs.values():
        keys += [k for k in (a or {}) if k not in own and k not in keys]
    for k in keys:
        frame[k] = [(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)(
            (attrs.get(int(i)) or {}).get(k)) for i in frame["id"]]
    return frame


def grids_export_bytes(qs: QuerySet[Grid], *, fmt: str) -> tuple[bytes, str, str]:
    """Export to GeoJSON, GeoPackage or zipped Shapefile (UTF-8 with a .cpg); returns
    (content, content type, file extension)."""
    driver, content_type, ext = EXPORT_FORMATS[fmt]
    frame = with_source_attributes(grid_frame(qs, details=True))
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
        if fmt == "gpkg":
            # Dates as date-time fields (midnight), not text: pyogrio writes Python dates as
            # strings, and a GIS filters and sorts a DateTime field as time.
            for col in ("valid_from", "valid_to"):
                if col in frame:
                    frame[col] = pd.to_datetime(frame[col])
        pyogrio.write_dataframe(frame, target, driver=driver)
        return target.read_bytes(), content_type, ext
