"""Writes to the address registry: the spatial assignment and the import.

Assignment rules (the same in every path: bulk, re-assignment, import, lookup):
- An address belongs to the current micro-grid covering its point; a micro-grid is a current
  base grid with no current base child (`layers.grids.selectors.grid_leaf_base_ids`).
- Edge rule: a point covered by several micro-grids (exactly on a shared edge) goes to the one
  of the deepest level, then the LOWEST code (byte order). `grid_locate` breaks ties the same way.
- Near boundary: the point lies within settings.GEOGRID_NEAR_BOUNDARY_M metres of its
  micro-grid's edge; a person should confirm it. `edge_distance_m` keeps the distance (cm).
- Coverage gap: a point in no micro-grid keeps grid=NULL and is listed in the report.
- Special grids: every current special grid covering the point (AddressSpecialGrid).
"""
import math
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils.translation import gettext as _

from layers.core.crs import normalise_crs, to_storage
from layers.core.errors import RuleViolation
from layers.grids.models import Grid

from .models import Address, AddressKind
from .normalise import normalise_address
from .sqlfiles import sql


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


def _run_parts(parts: list[list[tuple[str, dict]]]) -> None:
    """Run each list of statements on its own connection at once (one per core); each commits alone."""
    errors = []

    def work(statements):
        try:
            with connections["default"].cursor() as cur:
                for query, params in statements:
                    cur.execute(query, params)
        except Exception as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _assign(*, area: GEOSGeometry | None = None, ids: list[int] | None = None,
            parallel: bool | None = None, force: bool | None = None, gap_limit: int = 100) -> AssignmentReport:
    started = time.perf_counter()
    point, grid_g, grid_s, params = _filters(area=area, ids=ids)
    whole_city = area is None and ids is None
    # Two connections only see committed data: inside a transaction (a hook, an import, a test)
    # the run stays on this connection.
    parallel = (whole_city if parallel is None else parallel) and not connection.in_atomic_block
    # A targeted run recomputes everything it touches; a whole-city run skips the edge distance
    # of points already measured in an unchanged grid (see assign_micro.sql).
    force = (not whole_city) if force is None else force
    tag = uuid.uuid4().hex[:12]
    work, work_special, changes = f"addresses_work_{tag}", f"addresses_work_special_{tag}", f"addresses_changes_{tag}"
    kind = "UNLOGGED" if parallel else "TEMP"
    create = (f"CREATE {kind} TABLE {work} (address_id bigint, old_grid bigint, new_grid bigint, edge_m float8, must_write bool);"
              f"CREATE {kind} TABLE {work_special} (address_id bigint, grid_id bigint);")
    n_parts = 2 if parallel else 1
    micro_sql = sql("assign_micro").format(work=work, grid_filter=grid_g, point_filter=point,
                                           force="TRUE" if force else "FALSE")
    special_sql = sql("assign_special").format(work_special=work_special, grid_filter=grid_s, point_filter=point)
    parts = [[(micro_sql, {**params, "parts": n_parts, "part": k})] for k in range(n_parts)]
    parts[-1].append((special_sql, params))
    with connection.cursor() as cur:
        cur.execute(create)
    try:
        if parallel:
            _run_parts(parts)
        else:
            with connection.cursor() as cur:
                for query, p in [s for part in parts for s in part]:
                    cur.execute(query, p)
        computed = time.perf_counter()
        report = _apply(work=work, work_special=work_special, changes=changes, point=point,
                        params=params, gap_limit=gap_limit)
    except Exception:
        # A temp table made inside a transaction goes with its rollback; unlogged ones do not.
        if parallel:
            with connection.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {work}, {work_special}")
        raise
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {work}, {work_special}")
    report.seconds = round(time.perf_counter() - started, 3)
    report.compute_seconds = round(computed - started, 3)
    return report


@transaction.atomic
def _apply(*, work, work_special, changes, point, params, gap_limit) -> AssignmentReport:
    report = AssignmentReport()
    with connection.cursor() as cur:
        cur.execute(sql("assign_apply").format(work=work, work_special=work_special, changes=changes,
                                               point_filter=point),
                    {**params, "near": settings.GEOGRID_NEAR_BOUNDARY_M})
        cur.execute(f"SELECT count(*), count(*) FILTER (WHERE old_grid IS DISTINCT FROM new_grid) FROM {changes}")
        report.updated, report.changed = cur.fetchone()
        cur.execute(f"""SELECT o.code, n.code, count(*) FROM {changes} c
                        LEFT JOIN grids_grid o ON o.id = c.old_grid LEFT JOIN grids_grid n ON n.id = c.new_grid
                        WHERE c.old_grid IS DISTINCT FROM c.new_grid
                        GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""")
        report.moves = [{"from": a, "to": b, "count": n} for a, b, n in cur.fetchall()]
        cur.execute(f"""SELECT count(*), count(a.grid_id), count(*) FILTER (WHERE a.near_boundary)
                        FROM addresses_address a WHERE {point}""", params)
        report.considered, report.assigned, report.near_boundary = cur.fetchone()
        report.gap_count = report.considered - report.assigned
        cur.execute(f"SELECT a.id, a.full_text FROM addresses_address a WHERE a.grid_id IS NULL AND {point} "
                    f"ORDER BY a.id LIMIT %(gap_limit)s", {**params, "gap_limit": gap_limit})
        report.gaps = [{"id": i, "full_text": t} for i, t in cur.fetchall()]
        cur.execute(f"DROP TABLE {changes}")
    return report


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
    unknown, those in the grids' current boundaries and those assigned to them."""
    if area is None:
        geoms = [g.geometry for g in Grid.objects.filter(pk__in=grid_ids)]
        ids = list(Address.objects.filter(grid_id__in=grid_ids).values_list("pk", flat=True))
        for geom in geoms:
            ids += list(Address.objects.filter(geometry__intersects=geom).values_list("pk", flat=True))
        return addresses_assign_ids(ids=sorted(set(ids)))
    return addresses_assign_area(area=area)


# --- import ---------------------------------------------------------------------------------

@dataclass
class ImportReport:
    rows: int = 0
    good: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (row number from 1, reason)
    written: int = 0
    assignment: AssignmentReport | None = None


_TEXT_COLUMNS = ("full_text", "address", "地址")
_PART_FIELDS = ("district", "street", "community", "road", "number", "building", "unit", "room")


def _read_table(path: str):
    """Rows of a CSV (lon/lat or WKT column), GeoJSON or GeoPackage as (columns dict, x, y) or
    (columns, None, reason)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    suffix = str(path).lower().rsplit(".", 1)[-1]
    if suffix in ("csv", "txt"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        cols = {c.lower().strip(): c for c in df.columns}
        lon = next((cols[c] for c in ("lon", "lng", "longitude", "x", "经度") if c in cols), None)
        lat = next((cols[c] for c in ("lat", "latitude", "y", "纬度") if c in cols), None)
        wkt = next((cols[c] for c in ("wkt", "geometry", "geom") if c in cols), None)
        if not ((lon and lat) or wkt):
            raise RuleViolation("import_columns", _("A CSV needs lon and lat columns or a WKT column"))
        for rec in df.to_dict("records"):
            if lon and lat and (rec[lon] != "" or not wkt):
                yield rec, rec[lon], rec[lat]
                continue
            try:
                geom = shapely.from_wkt(rec[wkt])
            except Exception:  # shapely raises its own GEOSException on bad WKT
                yield rec, None, _("unreadable WKT %(wkt)r") % {"wkt": rec[wkt][:60]}
                continue
            if geom is None or geom.is_empty or geom.geom_type != "Point":
                yield rec, None, _("the geometry must be a point")
                continue
            yield rec, geom.x, geom.y
        return
    gdf = gpd.read_file(path, engine="pyogrio")
    for rec, geom in zip(gdf.drop(columns="geometry").to_dict("records"), gdf.geometry):
        rec = {k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in rec.items()}
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            yield rec, None, _("the geometry must be a point")
            continue
        yield rec, geom.x, geom.y


def _address_from(rec: dict, x, y, crs: str) -> Address:
    text = next((str(rec[c]).strip() for c in _TEXT_COLUMNS if c in rec and str(rec[c]).strip()), "")
    if not text:
        raise RuleViolation("address_text", _("no address text (column full_text or address)"))
    lon, lat = to_storage(x, y, crs)
    kind = str(rec.get("kind") or AddressKind.RESIDENTIAL).strip()
    if kind not in AddressKind.values:
        raise RuleViolation("address_kind", _("unknown kind %(kind)r; use one of %(kinds)s")
                            % {"kind": kind, "kinds": ", ".join(AddressKind.values)})
    raw = rec.get("households")
    try:
        households = int(float(raw)) if raw not in (None, "") else 0
    except (TypeError, ValueError):
        raise RuleViolation("households", _("households is not a number: %(v)r") % {"v": raw})
    if households < 0:
        raise RuleViolation("households", _("households cannot be negative"))
    parts = {f: str(rec.get(f) or "").strip() for f in _PART_FIELDS}
    address = Address(full_text=text, kind=kind, households=households, source_crs=crs,
                      geometry=Point(lon, lat, srid=settings.GEOGRID_SRID), search_key=normalise_address(text), **parts)
    address.full_clean(exclude=["grid"])
    return address


def addresses_import(*, path: str, crs: str = "wgs84", commit: bool = False, skip_bad: bool = False,
                     progress=None, batch_size: int = 2000) -> ImportReport:
    """Read a CSV/GeoJSON/GeoPackage of addresses, convert points from `crs` at the edge, report
    bad rows one by one; write only with commit, and a file with bad rows only with skip_bad;
    then assign the new addresses to their grids."""
    crs = normalise_crs(crs)
    report = ImportReport()
    good: list[Address] = []
    for n, (rec, x, y) in enumerate(_read_table(path), start=1):
        report.rows = n
        try:
            if x is None:
                raise RuleViolation("geometry", y)
            good.append(_address_from(rec, x, y, crs))
        except ValidationError as exc:
            report.bad.append((n, "; ".join(exc.messages)))
        if progress and n % batch_size == 0:
            progress(n)
    report.good = len(good)
    if not commit or (report.bad and not skip_bad):
        return report
    with transaction.atomic():
        created = []
        for i in range(0, len(good), batch_size):
            created += Address.objects.bulk_create(good[i:i + batch_size])
            if progress:
                progress(min(i + batch_size, len(good)), written=True)
        report.written = len(created)
        report.assignment = addresses_assign_ids(ids=[a.pk for a in created])
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
