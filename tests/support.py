"""Names shared by tests: codes of the demo street's grids (fixtures/demo_grids.geojson) and the
values the subjects tests plant. Tests import these from here, never from another test module
or a conftest."""
import json
from pathlib import Path

from layers.core.crs import from_storage

STREET_CODE = "310106013000"
COMMUNITY = "310106013001"
# Two micro-grids of COMMUNITY that share an edge (新福康里 1 and 2), and one of the next community.
GRID_A = "310106013001001"
GRID_B = "310106013001002"
GRID_C = "310106013002001"

# The subjects tests' world (tests/layers/subjects/conftest.py): one subject in each micro-grid.
G1, G2, G3 = GRID_A, GRID_B, GRID_C
PHONE, ID_NUMBER = "13912345678", "310101199001011234"


def box(x0: float, y0: float, x1: float, y1: float):
    """A rectangle in lon/lat (storage SRID) for grids built in a test."""
    from django.contrib.gis.geos import Polygon

    return Polygon.from_bbox((x0, y0, x1, y1))


def body_of(response) -> bytes:
    """The bytes of a response, streamed (files) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


# Plans: the area the planner tests redraw, and drawing helpers.
AREA = "310106013001"  # 新福康里居民区, four residential micro-grids
M = 1 / 111_320.0  # about a metre in degrees (a little less in longitude here)


def shp(g):
    """A GEOS geometry as shapely."""
    import shapely

    return shapely.from_wkb(bytes(g.wkb))


def random_points_in(poly, n: int, seed: int):
    """n random points strictly inside a shapely polygon, the same for the same seed."""
    import random

    import shapely

    rnd = random.Random(seed)
    minx, miny, maxx, maxy = poly.bounds
    while n:
        x, y = rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)
        if poly.contains(shapely.Point(x, y)):
            n -= 1
            yield rnd, x, y


def add_addresses(parent, n=60, seed=1):
    """n addresses of 1-20 households at random points of a grid."""
    from tests.factories import AddressFactory

    return [AddressFactory(full_text=f"测试路{i}号", households=rnd.randint(1, 20), lon=x, lat=y)
            for i, (rnd, x, y) in enumerate(random_points_in(shp(parent.geometry), n, seed))]


def fill(face, households, seed, per=10):
    """Addresses of `per` households each inside `face`, kept 3 m off its edges, totalling
    `households` (a multiple of `per`)."""
    from tests.factories import AddressFactory

    for i, (_rnd, x, y) in enumerate(random_points_in(face.buffer(-3 * M), -(-households // per), seed)):
        AddressFactory(full_text=f"测试路{seed}-{i * per}号", households=per, lon=x, lat=y)


def crossing_line(pg, short_m=0.0):
    """A north-south line through the grid's centroid, stopping short_m metres inside the edge."""
    import shapely

    s = shp(pg.geometry)
    c = s.centroid
    miny, maxy = s.bounds[1], s.bounds[3]
    vertical = shapely.LineString([(c.x, miny - 1), (c.x, maxy + 1)]).intersection(s)
    part = max(shapely.get_parts(vertical), key=lambda p: p.length) if vertical.geom_type.startswith("Multi") else vertical
    (x0, y0), (x1, y1) = part.coords[0], part.coords[-1]
    d = short_m / 111_320.0
    lo, hi = sorted([y0, y1])
    return {"type": "LineString", "coordinates": [[x0, lo + d], [x1, hi - d]]}


def cells_of(poly, xs, ys):
    """The parent cut by the vertical lines xs and horizontal lines ys (as the roads do)."""
    import shapely

    minx, miny, maxx, maxy = poly.bounds
    bx = [minx - 1] + sorted(xs) + [maxx + 1]
    by = [miny - 1] + sorted(ys) + [maxy + 1]
    return [poly.intersection(shapely.box(bx[i], by[j], bx[i + 1], by[j + 1]))
            for i in range(len(bx) - 1) for j in range(len(by) - 1)]


# --- address registries as street offices keep them (the import tests) -------------------------
# GBK CSV and .xlsx, headers 编号, 地址, 经度, 纬度, 户数, 类型, 坐标系, GCJ-02 points inside the demo
# street, two blank rows at the end.

# Storage-datum (WGS84) points inside the demo street 静安寺街道.
REGISTRY_POINTS = [(121.4452, 31.2221), (121.4432 + 0.0016, 31.2205), (121.4490, 31.2250), (121.4510, 31.2190)]
REGISTRY_HEADER = ["编号", "地址", "经度", "纬度", "户数", "类型", "坐标系", "备注"]


def registry_rows(points=REGISTRY_POINTS):
    """Registry rows with GCJ-02 coordinates (as a Gaode pick-up tool gives them)."""
    out = []
    kinds = ["住宅", "商铺", "办公", "住宅"]
    for i, (lon, lat) in enumerate(points):
        glon, glat = from_storage(lon, lat, "gcj02")
        out.append([f"JA-{i + 1:04d}", f"上海市静安区南京西路{100 + i}号", f"{glon:.7f}", f"{glat:.7f}",
                    str(10 * (i + 1)), kinds[i % len(kinds)], "GCJ-02", "网格员核实"])
    return out


def write_gbk_csv(path: Path, body=None, *, encoding="gbk", blank_tail=2) -> Path:
    body = registry_rows() if body is None else body
    lines = [",".join(REGISTRY_HEADER)] + [",".join(r) for r in body] + [","] * 0 + ["" for _ in range(blank_tail)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, body=None, *, blank_tail=2) -> Path:
    import openpyxl

    body = registry_rows() if body is None else body
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "地址台账"
    sheet.append(REGISTRY_HEADER)
    for r in body:
        # Excel keeps numbers as numbers: 户数 and the coordinates are not text there.
        sheet.append([r[0], r[1], float(r[2]), float(r[3]), int(r[4]) if r[4].isdigit() else r[4], r[5], r[6], r[7]])
    for _ in range(blank_tail):
        sheet.append([None] * len(REGISTRY_HEADER))
    # openpyxl drops trailing empty rows; a formatted blank row is what Excel leaves behind.
    sheet.cell(row=len(body) + 2 + blank_tail, column=1).number_format = "@"
    book.save(path)
    return path


def pick_parent(page, grid) -> None:
    """On the planner page: find the grid in the parent tree by its code and pick it."""
    page.fill("#parent-search", grid.code)
    page.click(f"#parent-tree button[data-grid-id='{grid.pk}']")
    page.wait_for_selector(f"#parent-tree button.current[data-grid-id='{grid.pk}']")
    page.wait_for_selector("body[data-reference=ready]")


DATAV = Path(__file__).resolve().parent.parent / "fixtures" / "datav_shanghai_districts_gcj02.geojson"


def datav_subset(tmp_path, names, jitter_m=0.0, seed=3):
    """The named districts of the real DataV extract (fixtures/README.md) as a GeoJSON file, each
    vertex moved by jitter_m/2..jitter_m metres in a random direction when jitter_m is given."""
    import math
    import random

    import shapely.ops
    from shapely.geometry import mapping, shape

    data = json.loads(DATAV.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    features = []
    for f in data["features"]:
        if f["properties"]["name"] not in names:
            continue
        if jitter_m:
            g = shape(f["geometry"])
            lat = g.centroid.y
            dx, dy = 1 / (111_320 * math.cos(math.radians(lat))), 1 / 110_574

            def move(x, y, z=None):
                r, a = rng.uniform(0.5, 1.0) * jitter_m, rng.uniform(0, 2 * math.pi)
                return x + r * math.cos(a) * dx, y + r * math.sin(a) * dy
            f = {**f, "geometry": mapping(shapely.make_valid(shapely.ops.transform(
                lambda xs, ys, zs=None: tuple(zip(*[move(x, y) for x, y in zip(xs, ys)])), g)))}
        features.append(f)
    path = tmp_path / f"{'-'.join(names)}{'-moved' if jitter_m else ''}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def wsgi_call(app, path: str, query=None, cookie: str = "", **headers):
    """(status, headers without Date, body) of a GET called as gunicorn calls the WSGI
    application `app` (geogrid.wsgi.application with its hot paths, or Django's own)."""
    import re

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    environ = RequestFactory().get(path, query or {}, HTTP_COOKIE=cookie, **headers).environ
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    # As Django's test client does: the test's transaction holds the connection, so the handler
    # must not close it at the end of the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    # The CSP nonce is fresh in every answer (Django's and the hot path's alike): compare without it.
    return seen["status"], {k: re.sub(r"'nonce-[^']*'", "'nonce'", v) for k, v in seen["headers"]
                            if k.lower() != "date"}, body


def tile_of(lon, lat, z):
    """(x, y) of the web-mercator tile of zoom z holding (lon, lat)."""
    import math

    n = 2 ** z
    r = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)


def decode_tile(content: bytes, tmp_path, z, x, y, layer):
    """The features of one layer of an MVT tile, read by GDAL (geometry in EPSG:3857)."""
    import pyogrio

    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if not content:
        return []
    return pyogrio.read_dataframe(path, layer=layer)


def rows_in(table: str, where: str = "TRUE") -> int:
    """Rows of a table (or one partition of it) matching a SQL condition."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{table}" WHERE {where}')
        return cur.fetchone()[0]


def plan_of(qs) -> str:
    """PostgreSQL's plan (EXPLAIN) of a QuerySet, as text."""
    from django.db import connection

    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())
