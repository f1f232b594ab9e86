"""Generated address registries as street offices keep them: GBK CSV and .xlsx, headers 编号, 地址,
经度, 纬度, 户数, 类型, 坐标系, GCJ-02 points inside the demo street, two blank rows at the end."""
from pathlib import Path

from layers.core.crs import from_storage

# Storage-datum (WGS84) points inside the demo street 静安寺街道.
TRUE_POINTS = [(121.4452, 31.2221), (121.4432 + 0.0016, 31.2205), (121.4490, 31.2250), (121.4510, 31.2190)]
HEADER = ["编号", "地址", "经度", "纬度", "户数", "类型", "坐标系", "备注"]


def rows(points=TRUE_POINTS):
    """Registry rows with GCJ-02 coordinates (as a Gaode pick-up tool gives them)."""
    out = []
    kinds = ["住宅", "商铺", "办公", "住宅"]
    for i, (lon, lat) in enumerate(points):
        glon, glat = from_storage(lon, lat, "gcj02")
        out.append([f"JA-{i + 1:04d}", f"上海市静安区南京西路{100 + i}号", f"{glon:.7f}", f"{glat:.7f}",
                    str(10 * (i + 1)), kinds[i % len(kinds)], "GCJ-02", "网格员核实"])
    return out


def write_gbk_csv(path: Path, body=None, *, encoding="gbk", blank_tail=2) -> Path:
    body = rows() if body is None else body
    lines = [",".join(HEADER)] + [",".join(r) for r in body] + [","] * 0 + ["" for _ in range(blank_tail)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, body=None, *, blank_tail=2) -> Path:
    import openpyxl

    body = rows() if body is None else body
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "地址台账"
    sheet.append(HEADER)
    for r in body:
        # Excel keeps numbers as numbers: 户数 and the coordinates are not text there.
        sheet.append([r[0], r[1], float(r[2]), float(r[3]), int(r[4]) if r[4].isdigit() else r[4], r[5], r[6], r[7]])
    for _ in range(blank_tail):
        sheet.append([None] * len(HEADER))
    # openpyxl drops trailing empty rows; a formatted blank row is what Excel leaves behind.
    sheet.cell(row=len(body) + 2 + blank_tail, column=1).number_format = "@"
    book.save(path)
    return path
