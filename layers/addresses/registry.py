"""Address registries as street offices keep them: CSV in UTF-8 (with or without BOM), GBK or
GB18030 (detected), Excel .xlsx, GeoJSON/GeoPackage; Chinese or English headers. Rows are
numbered as the spreadsheet numbers them (the header is row 1, so the first address is row 2);
blank rows are skipped, not counted as bad."""
import codecs
import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation

# Our field -> the headers it is known by (compared case-insensitively, spaces dropped).
HEADERS = {
    "full_text": ("地址", "详细地址", "标准地址", "完整地址", "地址全称", "address", "full_text", "fulladdress"),
    "lon": ("经度", "lng", "lon", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "wkt": ("wkt", "geometry", "geom", "几何"),
    "households": ("户数", "住户数", "households", "hh"),
    "kind": ("类型", "地址类型", "类别", "kind", "type"),
    "crs": ("坐标系", "坐标系统", "crs", "srs"),
    "external_id": ("编号", "地址编号", "序号编码", "external_id", "id", "code", "编码"),
    "district": ("区", "区县", "district"),
    "street": ("街道", "街镇", "乡镇街道", "street"),
    "community": ("社区", "居委", "村居", "居委会", "community"),
    "road": ("路", "道路", "路巷", "路名", "road"),
    "number": ("门牌号", "门牌", "号", "number"),
    "building": ("楼栋", "幢", "楼号", "building"),
    "unit": ("单元", "unit"),
    "room": ("室", "房号", "房间", "room"),
}
# 类型 as written in registries -> AddressKind values.
KINDS = {
    "residential": "residential", "住宅": "residential", "居民": "residential", "民居": "residential",
    "居住": "residential", "住户": "residential",
    "shop": "shop", "商铺": "shop", "商户": "shop", "店铺": "shop", "门店": "shop", "沿街商铺": "shop",
    "office": "office", "办公": "office", "写字楼": "office", "商务楼宇": "office", "楼宇": "office",
    "institution": "institution", "机构": "institution", "单位": "institution", "学校": "institution",
    "医院": "institution", "机关": "institution",
    "other": "other", "其他": "other", "其它": "other",
}


@dataclass
class Registry:
    encoding: str | None
    columns: list[str]
    mapping: dict[str, str]            # our field -> the file's column
    unknown: list[str]                 # columns nothing is read from
    rows: list[tuple[int, dict]]       # (row number as the spreadsheet shows it, {our field: value})
    blank: list[int] = field(default_factory=list)
    first_row: int = 2
    declared_crs: str | None = None  # a GeoJSON/GeoPackage that names its system

    def column(self, name: str) -> str:
        """The user's column for one of our fields (for messages)."""
        return self.mapping.get(name, name)


def _key(header: str) -> str:
    return "".join(str(header or "").split()).lower().lstrip("\ufeff")


def map_headers(columns: list[str]) -> tuple[dict[str, str], list[str]]:
    mapping, used = {}, set()
    for ours, names in HEADERS.items():
        wanted = [_key(n) for n in names]
        for w in wanted:  # the first alias wins: 详细地址 over 地址 only if 地址 is missing
            hit = next((c for c in columns if _key(c) == w and c not in used), None)
            if hit:
                mapping[ours] = hit
                used.add(hit)
                break
    unknown = [c for c in columns if c not in used and str(c).strip()]
    return mapping, unknown


def detect_encoding(data: bytes) -> str:
    """UTF-8 (a BOM or clean decoding), else what charset-normalizer finds; the GB family is
    read as GB18030, the superset of GB2312 and GBK, so no valid character is refused."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    name = (best.encoding if best else "").lower().replace("-", "").replace("_", "")
    if not best or name in ("gb2312", "gbk", "gb18030", "cp936", "hz") or not name:
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            raise RuleViolation("encoding", _("The file's encoding cannot be recognised; save it as UTF-8 or GBK"))
    return best.encoding


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "" for v in values)


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v).strip()


def read_registry(path: str | Path, *, encoding: str | None = None) -> Registry:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        data = path.read_bytes()
        enc = encoding or detect_encoding(data)
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise RuleViolation("encoding", _("The file cannot be read as %(enc)s: %(e)s") % {"enc": enc, "e": exc})
        table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        header_row = 1
        while table and _blank(table[0]):  # leading blank lines: the header is the first non-blank row
            table.pop(0)
            header_row += 1
        if not table:
            raise RuleViolation("file_empty", _("The file holds no rows"))
        columns = [c.strip() for c in table[0]]
        body = [(header_row + i, r) for i, r in enumerate(table[1:], start=1)]
    elif suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException variants
            raise RuleViolation("file_unreadable", _("Cannot read %(p)s: %(e)s") % {"p": path.name, "e": exc})
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        book.close()
        enc = "xlsx"
        header_row = 1
        while rows and _blank(rows[0]):
            rows.pop(0)
            header_row += 1
        if not rows:
            raise RuleViolation("file_empty", _("The file holds no rows"))
        columns = [_cell(c) for c in rows[0]]
        body = [(header_row + i, [_cell(v) for v in r]) for i, r in enumerate(rows[1:], start=1)]
    elif suffix in (".xls",):
        raise RuleViolation("file_format", _("Old .xls workbooks are not read; save the sheet as .xlsx or CSV"))
    else:
        return _read_geo(path)
    mapping, unknown = map_headers(columns)
    index = {c: i for i, c in enumerate(columns)}
    out, blank = [], []
    for number, values in body:
        if _blank(values):
            blank.append(number)
            continue
        rec = {ours: (values[index[col]] if index[col] < len(values) else "") for ours, col in mapping.items()}
        out.append((number, rec))
    return Registry(encoding=enc, columns=columns, mapping=mapping, unknown=unknown, rows=out, blank=blank,
                    first_row=header_row + 1)


def _read_geo(path: Path) -> Registry:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise RuleViolation("file_unreadable", _("Cannot read %(p)s: %(e)s") % {"p": path.name, "e": exc})
    declared = None
    if gdf.crs is not None:
        epsg = gdf.crs.to_epsg()
        if epsg not in (4326, 4490):
            gdf = gdf.to_crs(4326)
        declared = "cgcs2000" if epsg == 4490 else "wgs84"
    columns = [c for c in gdf.columns if c != "geometry"]
    mapping, unknown = map_headers(columns)
    rows = []
    for i, (rec, geom) in enumerate(zip(gdf.drop(columns="geometry").to_dict("records"), gdf.geometry), start=1):
        row = {ours: _cell(None if isinstance(rec[col], float) and math.isnan(rec[col]) else rec[col])
               for ours, col in mapping.items()}
        if geom is not None and not geom.is_empty and geom.geom_type == "Point":
            row["lon"], row["lat"] = geom.x, geom.y
        else:
            row["_geometry_error"] = True
        rows.append((i, row))
    return Registry(encoding=None, columns=columns, mapping=mapping, unknown=unknown, rows=rows, first_row=1,
                    declared_crs=declared)
