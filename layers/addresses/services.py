"""Writes to the address registry: the spatial assignment and the import.

Assignment rules (the same in every path: bulk, re-assignment, import, lookup):
- An address belongs to the current micro-grid covering its point; a micro-grid is a current
  base grid with no current base child (the database view `grids_micro`).
- Edge rule: a point covered by several micro-grids (exactly on a shared edge) goes to the one
  of the deepest level, then the LOWEST code (byte order), as in `layers.grids.locate`.
- Near boundary: the point lies within settings.GEOGRID_NEAR_BOUNDARY_M metres of its
  micro-grid's edge; a person should confirm it. `edge_distance_m` keeps the distance (cm).
- Coverage gap: a point in no micro-grid keeps grid=NULL and is listed in the report.
- Special grids: every current special grid covering the point (AddressSpecialGrid).
"""
import math
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils.translation import gettext as _

from layers.core.crs import normalise_crs, to_storage
from layers.core.errors import RuleViolation
from layers.core.sqlfiles import sql_loader

from .models import Address, AddressKind
from .normalise import normalise_address

sql = sql_loader("addresses")


@dataclass
class AssignmentReport:
    """What an assignment run did: the diff (moves between grids) and the coverage gaps."""
    considered: int = 0
    assigned: int = 0
    changed: int = 0
    near_boundary: int = 0
    moves: list[dict] = field(default_factory=list)   # {"from", "to", "count"} by grid code
    gaps: list[dict] = field(default_factory=list)    # {"id", "full_text"} of points in no micro-grid
    gap_count: int = 0
    updated: int = 0          # rows written (moved, or their edge distance measured again)
    seconds: float = 0.0
    compute_seconds: float = 0.0  # the spatial join into the work table, before writing
    steps: dict = field(default_factory=dict)  # seconds per step (join, write, report...), for tuning

    @property
    def moved(self) -> int:
        return sum(m["count"] for m in self.moves)


def _filters(*, area: GEOSGeometry | None, ids: list[int] | None) -> tuple[str, str, str, dict]:
    """SQL fragments choosing the addresses (alias a) and the grids (alias g / s) of a run."""
    if area is not None:
        params = {"area": bytes(area.transform(settings.GEOGRID_SRID, clone=True).ewkb)
                  if area.srid and area.srid != settings.GEOGRID_SRID else bytes(area.ewkb)}
        point = "ST_Intersects(a.geometry, ST_GeomFromEWKB(%(area)s))"
        return point, "ST_Intersects(g.geometry, ST_GeomFromEWKB(%(area)s))", \
            "ST_Intersects(s.geometry, ST_GeomFromEWKB(%(area)s))", params
    if ids is not None:
        box = ("(SELECT ST_SetSRID(ST_Extent(t.geometry)::geometry, %(srid)s) FROM addresses_address t"
               " WHERE t.id = ANY(%(ids)s))")
        return "a.id = ANY(%(ids)s)", f"g.geometry && {box}", f"s.geometry && {box}", \
            {"ids": list(ids), "srid": settings.GEOGRID_SRID}
    return "TRUE", "TRUE", "TRUE", {}


class _Runner:
    """Runs the steps of an assignment: split across two connections at once (one per core,
    each statement committing alone) or, inside a transaction, all on this connection.

    Two persistent worker threads, so each keeps its own connection through the run's phases;
    a phase is one list of statements per connection, started together and joined."""

    def __init__(self, parallel: bool, steps: dict):
        self.parts = 2 if parallel else 1
        self.steps = steps
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="assign") if parallel else None

    def _run(self, k: int, statements: list[tuple[str, str, dict]]):
        row = None
        with connections["default"].cursor() as cur:
            for name, query, params in statements:
                t = time.perf_counter()
                cur.execute(query, params)
                self.steps[f"{name}_{k}" if self.pool else name] = round(time.perf_counter() - t, 3)
                row = cur.fetchone() if cur.description else None
        return row

    def phase(self, per_part: list[list[tuple[str, str, dict]]]) -> list:
        """Run per_part[k] on connection k, all at once; the last row of each part's last statement."""
        if self.pool is None:
            return [self._run(0, per_part[0])]
        futures = [self.pool.submit(self._run, k, statements) for k, statements in enumerate(per_part)]
        return [f.result() for f in futures]

    def close(self) -> None:
        if self.pool is None:
            return
        barrier = threading.Barrier(2)

        def close_own():  # one task per worker: each waits for the other, so both threads close
            barrier.wait(timeout=10)
            connections["default"].close()

        for f in [self.pool.submit(close_own) for _ in range(2)]:
            f.result()
        self.pool.shutdown()


def _page_ranges(parts: int) -> list[str]:
    """TID range conditions splitting the address table's pages into `parts` shares of about as
    many rows each. Rows are not spread evenly over the pages (a big UPDATE leaves pages half
    empty), so the cuts come from a sample of ~0.5% of the pages (a few ms)."""
    if parts == 1:
        return ["TRUE"]
    with connection.cursor() as cur:
        cur.execute("SELECT (ctid::text::point)[0]::int FROM addresses_address TABLESAMPLE SYSTEM (0.5) REPEATABLE (1)"
                    " ORDER BY 1")
        sample = [r[0] for r in cur.fetchall()]
    if len(sample) < parts:
        return ["TRUE"] + ["FALSE"] * (parts - 1)
    cuts = [sample[len(sample) * k // parts] for k in range(1, parts)]
    ranges, lo = [], 0
    for cut in cuts:
        ranges.append(f"a.ctid >= '({lo},0)'::tid AND a.ctid < '({cut},0)'::tid")
        lo = cut
    ranges.append(f"a.ctid >= '({lo},0)'::tid")  # open-ended: pages added meanwhile too
    return ranges


def _assign(*, area: GEOSGeometry | None = None, ids: list[int] | None = None,
            parallel: bool | None = None, force: bool | None = None, gap_limit: int = 100) -> AssignmentReport:
    """One assignment run, in phases (see each .sql file for its why):

    1. join (both connections, one half of the micro-grids each): the points each micro-grid
       covers, edge rule applied, into a work table (assign_micro.sql; special grids,
       assign_special.sql);
    2. the winners that differ from what is stored, deduplicated, into `changes` (assign_changes.sql);
    3. write them (both connections, one half of the rows each; assign_write.sql);
    4. one scan of the table (both connections, half of the pages each): counts for the report
       and the addresses left in a grid that no longer holds them (assign_check.sql);
    5. clear those, special-grid links, the diff and the gap list (one transaction, assign_apply.sql).

    Outside a transaction the steps commit one by one: a run that fails half-way leaves some
    rows already placed right, and running it again finishes the job (each step is idempotent).
    """
    started = time.perf_counter()
    point, grid_g, grid_s, params = _filters(area=area, ids=ids)
    whole_city = area is None and ids is None
    # Two connections only see committed data: inside a transaction (a hook, an import, a test)
    # the run stays on this connection.
    parallel = (whole_city if parallel is None else parallel) and not connection.in_atomic_block
    # A targeted run recomputes everything it touches; a whole-city run skips the edge distance
    # of points already measured in an unchanged grid (see assign_micro.sql).
    force = (not whole_city) if force is None else force
    report = AssignmentReport()
    steps = report.steps
    tag = uuid.uuid4().hex[:12]
    tables = {name: f"addresses_{name}_{tag}" for name in ("work", "work_special", "changes", "lost")}
    kind = "UNLOGGED" if parallel else "TEMP"
    create = (f"CREATE {kind} TABLE {tables['work']} (address_id bigint, old_grid bigint, new_grid bigint, "
              f"edge_m float8);"
              f"CREATE {kind} TABLE {tables['work_special']} (address_id bigint, grid_id bigint);"
              f"CREATE {kind} TABLE {tables['changes']} (id bigint, old_grid bigint, new_grid bigint, edge_m float8, "
              f"part int);"
              f"CREATE {kind} TABLE {tables['lost']} (id bigint, old_grid bigint);")
    fmt = {**tables, "grid_filter": grid_g, "point_filter": point, "force": "TRUE" if force else "FALSE"}
    runner = _Runner(parallel, steps)
    n = runner.parts
    with connection.cursor() as cur:
        cur.execute(create)
        cur.execute("SELECT clock_timestamp()")
        params = {**params, "started": cur.fetchone()[0], "near": settings.GEOGRID_NEAR_BOUNDARY_M, "parts": n}
    try:
        # 1. the join
        join = [[("micro", sql("assign_micro").format(**fmt), {**params, "part": k})] for k in range(n)]
        join[-1].append(("special", sql("assign_special").format(**{**fmt, "grid_filter": grid_s}), params))
        runner.phase(join)
        computed = time.perf_counter()
        # 2. what must be written
        with connection.cursor() as cur:
            t = time.perf_counter()
            cur.execute(sql("assign_changes").format(**fmt), params)
            steps["changes"] = round(time.perf_counter() - t, 3)
        # 3. write
        runner.phase([[("write", sql("assign_write").format(**fmt), {**params, "part": k})] for k in range(n)])
        # 4. count, and find the addresses left in a grid that lost them
        covers = ({"m_geometry": ", g.geometry", "covers": "ST_Covers(m.geometry, a.geometry)"} if force else
                  {"m_geometry": "", "covers": "(SELECT ST_Covers(g.geometry, a.geometry) FROM grids_grid g WHERE g.id = m.id)"})
        rows = runner.phase([[("check", sql("assign_check").format(**fmt, **covers, tid_range=r), params)]
                             for r in _page_ranges(n)])
        report.considered, report.assigned, report.near_boundary, lost_near = (sum(c) for c in zip(*rows))
        # 5. apply the losses, report
        _finish(report, fmt=fmt, params=params, gap_limit=gap_limit, lost_near=lost_near)
    finally:
        runner.close()
        if parallel:  # a temp table goes with its session or transaction; unlogged ones do not
            with connection.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS " + ", ".join(tables.values()))
    report.seconds = round(time.perf_counter() - started, 3)
    report.compute_seconds = round(computed - started, 3)
    return report


@transaction.atomic
def _finish(report: AssignmentReport, *, fmt: dict, params: dict, gap_limit: int, lost_near: int) -> None:
    steps = report.steps
    changes, point = fmt["changes"], fmt["point_filter"]
    with connection.cursor() as cur:
        def run(name, query, p=None):
            t = time.perf_counter()
            cur.execute(query, p)
            steps[name] = round(time.perf_counter() - t, 3)
        lost = 0
        for i, statement in enumerate(sql("assign_apply").format(**fmt).split(";\n\n")):
            run(f"apply{i}", statement, params)
            if i == 0:
                lost = cur.rowcount
        report.assigned -= lost
        report.near_boundary -= lost_near
        report.gap_count = report.considered - report.assigned
        run("diff", f"""SELECT o.code, n.code, count(*) FROM {changes} c
                       LEFT JOIN grids_grid o ON o.id = c.old_grid LEFT JOIN grids_grid n ON n.id = c.new_grid
                       GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""")
        for a, b, count in cur.fetchall():
            report.updated += count
            if a != b:
                report.moves.append({"from": a, "to": b, "count": count})
        report.changed = report.moved
        run("gaps", f"SELECT a.id, a.full_text FROM addresses_address a WHERE a.grid_id IS NULL AND {point} "
                    f"ORDER BY a.id LIMIT %(gap_limit)s", {**params, "gap_limit": gap_limit})
        report.gaps = [{"id": i, "full_text": t} for i, t in cur.fetchall()]


def addresses_assign_all(*, parallel: bool | None = None, full: bool = False, gap_limit: int = 100) -> AssignmentReport:
    """Assign every address to its micro-grid and special grids, inside PostGIS; report the diff.

    Outside a transaction the micro-grids are split into two disjoint halves joined on two
    connections at once (both cores); results go to a new unlogged table and only the rows
    that changed are written back. `full` measures every edge distance again."""
    return _assign(parallel=parallel, force=full, gap_limit=gap_limit)


def addresses_assign_area(*, area: GEOSGeometry, gap_limit: int = 100) -> AssignmentReport:
    """Re-assign only the addresses whose point lies in `area` (e.g. old ∪ new boundary)."""
    return _assign(area=area, gap_limit=gap_limit)


def addresses_assign_ids(*, ids: list[int], gap_limit: int = 100) -> AssignmentReport:
    """Assign the given addresses (e.g. just imported)."""
    return _assign(ids=list(ids), gap_limit=gap_limit)


def addresses_reassign_for_grids(*, grid_ids: list[int], area: GEOSGeometry | None = None) -> AssignmentReport:
    """Boundary-change hook: re-place the addresses in the changed area, or, when the area is
    unknown, those in the grids' current boundaries and those assigned to them. A large change
    (at least GEOGRID_DASK_MIN_GRIDS grids, e.g. a plan's publish) runs on the Dask cluster when
    GEOGRID_ASSIGN_ENGINE is "dask" (same rule and report; see dask_engine.py)."""
    if (area is not None and settings.GEOGRID_ASSIGN_ENGINE == "dask"
            and len(grid_ids) >= settings.GEOGRID_DASK_MIN_GRIDS):
        from .dask_engine import addresses_assign_dask  # the engine imports this module

        return addresses_assign_dask(area=area)
    if area is None:
        with connection.cursor() as cur:
            cur.execute(sql("reassign_ids"), {"ids": list(grid_ids)})
            ids = [r[0] for r in cur.fetchall()]
        return addresses_assign_ids(ids=ids)
    return addresses_assign_area(area=area)


# --- import ---------------------------------------------------------------------------------

@dataclass
class ImportReport:
    rows: int = 0
    good: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (row number as the spreadsheet shows it, reason)
    written: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    assignment: AssignmentReport | None = None
    encoding: str | None = None
    mapping: dict = field(default_factory=dict)     # our field -> the file's column
    unknown_columns: list[str] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # {"row", "kept_row", "reason"}
    crs: str | None = None
    crs_source: str = ""
    warnings: list[str] = field(default_factory=list)
    offset: dict | None = None
    offset_verdict: str | None = None
    preview: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        from dataclasses import asdict

        d = asdict(self)
        d["assignment"] = None if self.assignment is None else {
            "assigned": self.assignment.assigned, "gaps": self.assignment.gap_count,
            "moves": self.assignment.moves[:50]}
        return d


DUPLICATE_RULE = _("Rows with the same address text (after normalisation) are one address: the first row is kept, "
                   "its empty fields are filled from the later rows, and each later row is listed as merged "
                   "(with its distance when its point lies more than 1 m away). A row with the text of a stored "
                   "address within 1 m, and no 编号, is not added again.")


def _kind(value: str, column: str) -> str:
    from .registry import KINDS

    text = str(value or "").strip()
    if not text:
        return AddressKind.RESIDENTIAL
    kind = KINDS.get(text) or KINDS.get(text.lower())
    if kind is None:
        raise RuleViolation("address_kind", _("%(col)s: unknown kind %(kind)r; use one of %(kinds)s")
                            % {"col": column, "kind": text,
                               "kinds": "住宅, 商铺, 办公, 机构, 其他 (residential, shop, office, institution, other)"})
    return kind


def _households(value, column: str) -> int:
    text = str(value if value is not None else "").strip()
    if not text:
        return 0
    try:
        number = float(text)
    except ValueError:
        raise RuleViolation("households", _("%(col)s is not a number: %(v)r") % {"col": column, "v": text})
    if not math.isfinite(number) or number != int(number):
        raise RuleViolation("households", _("%(col)s must be a whole number: %(v)r") % {"col": column, "v": text})
    if number < 0:
        raise RuleViolation("households", _("%(col)s cannot be negative: %(v)r") % {"col": column, "v": text})
    return int(number)


def _address_from_row(rec: dict, reg, crs: str | None) -> Address:
    import shapely

    text = str(rec.get("full_text") or "").strip()
    if not text:
        raise RuleViolation("address_text", _("%(col)s is empty") % {"col": reg.column("full_text")})
    row_crs = str(rec.get("crs") or "").strip() or crs
    if not row_crs:
        raise RuleViolation("crs_missing", _("no coordinate system for this row"))
    if rec.get("_geometry_error"):
        raise RuleViolation("geometry", _("the geometry must be a point"))
    x, y = rec.get("lon"), rec.get("lat")
    if (x in (None, "") or y in (None, "")) and rec.get("wkt"):
        try:
            geom = shapely.from_wkt(rec["wkt"])
        except Exception:  # shapely raises GEOSException on bad WKT
            raise RuleViolation("geometry", _("%(col)s: unreadable WKT %(wkt)r") % {"col": reg.column("wkt"),
                                                                                   "wkt": str(rec["wkt"])[:60]})
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            raise RuleViolation("geometry", _("the geometry must be a point"))
        x, y = geom.x, geom.y
    if x in (None, "") or y in (None, ""):
        raise RuleViolation("coordinates", _("%(lon)s or %(lat)s is empty") % {"lon": reg.column("lon"), "lat": reg.column("lat")})
    lon, lat = to_storage(x, y, row_crs)
    parts = {f: str(rec.get(f) or "").strip() for f in _PART_FIELDS}
    address = Address(full_text=text, kind=_kind(rec.get("kind"), reg.column("kind")),
                      households=_households(rec.get("households"), reg.column("households")),
                      source_crs=normalise_crs(row_crs), external_id=str(rec.get("external_id") or "").strip(),
                      geometry=Point(lon, lat, srid=settings.GEOGRID_SRID), search_key=normalise_address(text), **parts)
    address.full_clean(exclude=["grid"])
    return address


_PART_FIELDS = ("district", "street", "community", "road", "number", "building", "unit", "room")
_COPY_FIELDS = ("full_text", "kind", "households", "source_crs", "geometry", "search_key") + _PART_FIELDS


def _metres(a: Point, b: Point) -> float:
    kx = 111_320.0 * math.cos(math.radians(a.y))
    return math.hypot((a.x - b.x) * kx, (a.y - b.y) * 110_574.0)


def addresses_import(*, path: str, crs: str | None = None, commit: bool = False, skip_bad: bool = False,
                     encoding: str | None = None, progress=None, batch_size: int = 2000) -> ImportReport:
    """Read an address registry (CSV in any usual encoding, .xlsx, GeoJSON, GeoPackage), convert
    points from `crs` (or each row's 坐标系) at the edge, report bad rows by their spreadsheet
    number and column, merge duplicates by DUPLICATE_RULE, and write only with commit (a file
    with bad rows only with skip_bad): rows whose 编号 is stored update that address, the rest
    are added; then the touched addresses are assigned."""
    from layers.core.crs import best_offset_m, crs_missing_message, offset_verdict

    from .registry import read_registry

    reg = read_registry(path, encoding=encoding)
    report = ImportReport(encoding=reg.encoding, mapping=dict(reg.mapping), unknown_columns=list(reg.unknown),
                          blank_rows=list(reg.blank))
    given = normalise_crs(crs) if crs else None
    has_row_crs = "crs" in reg.mapping and any(str(r.get("crs") or "").strip() for _n, r in reg.rows)
    report.crs, report.crs_source = (given, "given") if given else ((None, "column") if has_row_crs else (None, ""))
    if "full_text" not in reg.mapping:
        raise RuleViolation("import_columns", _("No address column: name one 地址 or 详细地址 (the columns are %(cols)s)")
                            % {"cols": ", ".join(reg.columns)})
    if not ({"lon", "lat"} <= reg.mapping.keys() or "wkt" in reg.mapping or reg.encoding is None):
        raise RuleViolation("import_columns", _("A registry needs 经度 and 纬度 (lon/lat) columns or a WKT column"))
    if not given and not has_row_crs and reg.declared_crs:
        given = reg.declared_crs
        report.crs, report.crs_source = given, "file"
    if not given and not has_row_crs:
        if commit:
            raise RuleViolation("crs_missing", crs_missing_message())
        report.warnings.append(crs_missing_message() + " " + _("This dry run read the points as WGS84."))
        given = "wgs84"
        report.crs, report.crs_source = "wgs84", "assumed"
    good: list[tuple[int, Address]] = []
    by_text: dict[str, int] = {}
    for n, (number, rec) in enumerate(reg.rows, start=1):
        report.rows = n
        try:
            # A row without its own 坐标系 takes the one given (or, in a dry run, the assumed one).
            address = _address_from_row(rec, reg, given)
        except ValidationError as exc:
            report.bad.append((number, "; ".join(exc.messages)))
            continue
        key = address.search_key or address.full_text
        if key in by_text:
            k = by_text[key]
            kept_row, kept = good[k]
            distance = _metres(kept.geometry, address.geometry)
            for f in _PART_FIELDS + ("external_id",):
                if not getattr(kept, f) and getattr(address, f):
                    setattr(kept, f, getattr(address, f))
            if not kept.households and address.households:
                kept.households = address.households
            report.duplicates.append({"row": number, "kept_row": kept_row, "text": address.full_text,
                                      "distance_m": round(distance, 2),
                                      "reason": _("same text, %(d).1f m apart") % {"d": distance} if distance > 1
                                      else _("same text and place")})
            continue
        by_text[key] = len(good)
        good.append((number, address))
        if progress and n % batch_size == 0:
            progress(n)
    report.good = len(good)
    report.preview = [{"row": number, "full_text": a.full_text, "kind": a.kind, "households": a.households,
                       "external_id": a.external_id, "lon": round(a.geometry.x, 6), "lat": round(a.geometry.y, 6)}
                      for number, a in good[:5]]
    # Offset against the stored addresses nearby: a datum mix-up shows as a shift of hundreds of metres.
    if good:
        from django.contrib.gis.geos import Polygon

        xs = [a.geometry.x for _n, a in good]
        ys = [a.geometry.y for _n, a in good]
        area = Polygon.from_bbox((min(xs) - 0.01, min(ys) - 0.01, max(xs) + 0.01, max(ys) + 0.01))
        area.srid = settings.GEOGRID_SRID
        stored = list(Address.objects.filter(geometry__intersects=area).values_list("geometry", flat=True)[:20000])
        if len(stored) >= 3:
            report.offset = best_offset_m(list(zip(xs, ys)), [(p.x, p.y) for p in stored])
            report.offset_verdict = offset_verdict(report.offset, sum(xs) / len(xs), sum(ys) / len(ys),
                                                   report.crs or "wgs84")
    if not commit or (report.bad and not skip_bad):
        return report
    with transaction.atomic():
        ids = [a.external_id for _n, a in good if a.external_id]
        existing = {a.external_id: a for a in Address.objects.filter(external_id__in=ids)} if ids else {}
        to_create, touched = [], []
        for _number, a in good:
            old = existing.get(a.external_id) if a.external_id else None
            if old is None:
                same = Address.objects.filter(search_key=a.search_key, external_id="",
                                              geometry__dwithin=(a.geometry, 0.00002)).first()
                if same is not None and _metres(same.geometry, a.geometry) <= 1.0:
                    report.duplicates.append({"row": _number, "kept_row": None, "text": a.full_text,
                                              "distance_m": round(_metres(same.geometry, a.geometry), 2),
                                              "reason": _("already stored as address #%(id)d") % {"id": same.pk}})
                    report.unchanged += 1
                    continue
                to_create.append(a)
                continue
            changed = [f for f in _COPY_FIELDS if getattr(old, f) != getattr(a, f)]
            if not changed:
                report.unchanged += 1
                continue
            for f in changed:
                setattr(old, f, getattr(a, f))
            old.assigned_at = None  # its point may have moved: the assignment must look again
            old.full_clean(exclude=["grid"])
            old.save()
            touched.append(old.pk)
            report.updated += 1
        created = []
        for i in range(0, len(to_create), batch_size):
            created += Address.objects.bulk_create(to_create[i:i + batch_size])
            if progress:
                progress(min(i + batch_size, len(to_create)), written=True)
        report.created = len(created)
        report.written = report.created + report.updated
        report.assignment = addresses_assign_ids(ids=[a.pk for a in created] + touched)
    return report


@transaction.atomic
def address_create(*, full_text: str, lon: float, lat: float, crs: str = "wgs84", **fields) -> Address:
    """Create one address (point converted from `crs`) and assign it."""
    lon, lat = to_storage(lon, lat, crs)
    address = Address(full_text=full_text, geometry=Point(lon, lat, srid=settings.GEOGRID_SRID),
                      source_crs=normalise_crs(crs), search_key=normalise_address(full_text), **fields)
    address.full_clean(exclude=["grid"])
    address.save()
    addresses_assign_ids(ids=[address.pk])
    address.refresh_from_db()
    return address
