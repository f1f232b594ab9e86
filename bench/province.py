"""The synthetic province of the growth curves: seeded, cached under var/bench/, one database per
size (geogrid_bench_province_<size>), loaded by COPY.

Five levels as geogrid counts them: districts (1) > streets (2) > residential areas (3) >
micro-grids (4) > building clusters (5, splitting one micro-grid in twenty). Micro-grids are
Voronoi cells of clustered seeds (small and dense in towns, large in the countryside, shared
edges densified to ~30 vertices), and each upper level is the coverage union of the cells nearest
its seed, so parents tile exactly and their outlines are as irregular as their children's.
Addresses cluster around town centres; incidents (one per ten addresses, with two events each),
subjects (one per twenty), visits (two per subject), patrols with points and staff (a head and a
member per micro-grid, a station chief per area, a leader per street and district) follow the
addresses. Codes follow the division codes: 12 digits down to the areas, three more per level.

Sizes (micro-grids / addresses), chosen for a 2-core machine shared by others: `xs` 1,000 / 100,000,
`s` 3,000 / 300,000,
`m` 10,000 / 1,000,000, `l` 30,000 / 3,000,000 (a 100,000 / 10,000,000 size, `xl`, is defined,
but builds and loads in tens of minutes here; its figures are extrapolated by the exponents).
"""
from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
SIZES = {"xs": (1_000, 100_000), "s": (3_000, 300_000), "m": (10_000, 1_000_000), "l": (30_000, 3_000_000),
         "xl": (100_000, 10_000_000)}
SEED = 20261202
# Micro-grids per area, areas per street, streets per district (on average).
FANOUT = (30, 10, 10)
# A micro-grid is ~0.0035 degrees across on average (~350 m): the province grows in area with n.
CELL_DEG = 0.0035
ORIGIN = (118.0, 31.0)


@dataclass
class Province:
    name: str
    size: str
    # Every grid, parents before children: level, code, parent index (-1 at the top), geometry.
    levels: np.ndarray
    codes: np.ndarray
    parents: np.ndarray
    geoms: np.ndarray
    points: np.ndarray        # addresses (n, 2), Morton order
    point_cell: np.ndarray    # the leaf grid (index into geoms) that the generator put each point in
    leaves: np.ndarray        # indices of the leaf grids (micro-grids and building clusters)

    @property
    def n_micro(self) -> int:
        return int((self.levels == 4).sum())


def _morton_order(xy: np.ndarray) -> np.ndarray:
    q = ((xy - xy.min(axis=0)) / (np.ptp(xy, axis=0) + 1e-12) * 65535).astype(np.uint64)
    code = np.zeros(len(xy), dtype=np.uint64)
    for bit in range(16):
        code |= ((q[:, 0] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit)
        code |= ((q[:, 1] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + 1)
    return np.argsort(code, kind="stable")


def _clustered(rng, n: int, box, towns: np.ndarray, spread: np.ndarray, share: float) -> np.ndarray:
    """n points: `share` of them around the towns (normal, each town its spread), the rest uniform."""
    x0, y0, x1, y1 = box
    k = int(n * share)
    which = rng.integers(0, len(towns), k)
    near = towns[which] + rng.normal(size=(k, 2)) * spread[which, None]
    far = np.column_stack([rng.uniform(x0, x1, n - k), rng.uniform(y0, y1, n - k)])
    pts = np.vstack([near, far])
    inside = (pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)
    pts = pts[inside]
    while len(pts) < n:  # top up what fell outside the box
        extra = np.column_stack([rng.uniform(x0, x1, n - len(pts)), rng.uniform(y0, y1, n - len(pts))])
        pts = np.vstack([pts, extra])
    return pts[:n]


def _group(children_centroids: np.ndarray, k: int, rng) -> np.ndarray:
    """Each child's group: nearest of k seeds drawn among the children (so no group is empty)."""
    from scipy.spatial import cKDTree

    k = max(1, min(k, len(children_centroids)))
    seeds = children_centroids[rng.choice(len(children_centroids), k, replace=False)]
    _d, idx = cKDTree(seeds).query(children_centroids)
    # Renumber groups west to east, north to south, so codes read like a map.
    used = np.unique(idx)
    order = used[np.lexsort((seeds[used, 0], -np.round(seeds[used, 1], 2)))]
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[idx]


def _unions(geoms: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    out = np.empty(n_groups, dtype=object)
    for g in range(n_groups):
        members = geoms[order[bounds[g]:bounds[g + 1]]]
        out[g] = shapely.coverage_union_all(members)
    return out


def build(size: str, seed: int = SEED) -> Province:
    n_micro, n_points = SIZES[size]
    path = CACHE / f"province-{size}-{seed}.npz"
    if path.exists():
        d = np.load(path, allow_pickle=False)
        return Province(name=path.stem, size=size, levels=d["levels"], codes=d["codes"], parents=d["parents"],
                        geoms=shapely.from_wkb(d["geoms"]), points=d["points"], point_cell=d["point_cell"],
                        leaves=d["leaves"])
    rng = np.random.default_rng(seed)
    side = math.sqrt(n_micro) * CELL_DEG
    x0, y0 = ORIGIN
    box = (x0, y0, x0 + side * 1.2, y0 + side)
    n_towns = max(4, n_micro // 400)
    towns = np.column_stack([rng.uniform(box[0], box[2], n_towns), rng.uniform(box[1], box[3], n_towns)])
    spread = rng.uniform(0.05, 0.25, n_towns) * side / math.sqrt(n_towns)
    # Micro-grid seeds: dense in towns (small cells), sparse outside (large cells).
    seeds = _clustered(rng, n_micro, box, towns, spread * 1.5, 0.6)
    frame = shapely.box(*box)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    step = CELL_DEG / 6
    cells = shapely.set_precision(shapely.segmentize(cells, step), 1e-7)
    cells = cells[(~shapely.is_empty(cells)) & (shapely.get_type_id(cells) == 3)]
    cent = shapely.get_coordinates(shapely.centroid(cells))
    # Areas, streets, districts: groups of the level below.
    area_of = _group(cent, max(1, len(cells) // FANOUT[0]), rng)
    n_areas = int(area_of.max()) + 1
    area_geoms = _unions(cells, area_of, n_areas)
    area_cent = shapely.get_coordinates(shapely.centroid(area_geoms))
    street_of = _group(area_cent, max(1, n_areas // FANOUT[1]), rng)
    n_streets = int(street_of.max()) + 1
    street_geoms = _unions(area_geoms, street_of, n_streets)
    street_cent = shapely.get_coordinates(shapely.centroid(street_geoms))
    district_of = _group(street_cent, max(2, n_streets // FANOUT[2]), rng)
    n_districts = int(district_of.max()) + 1
    district_geoms = _unions(street_geoms, district_of, n_districts)

    levels, codes, parents, geoms = [], [], [], []

    def add(level, code, parent, geom) -> int:
        levels.append(level)
        codes.append(code)
        parents.append(parent)
        geoms.append(geom)
        return len(levels) - 1

    d_idx = [add(1, f"32{d + 1:04d}000000", -1, g) for d, g in enumerate(district_geoms)]
    s_idx, s_seq = [], np.zeros(n_districts, dtype=int)
    for s, g in enumerate(street_geoms):
        d = district_of[s]
        s_seq[d] += 1
        s_idx.append(add(2, f"32{d + 1:04d}{s_seq[d]:03d}000", d_idx[d], g))
    a_idx, a_seq = [], np.zeros(n_streets, dtype=int)
    for a, g in enumerate(area_geoms):
        s = street_of[a]
        a_seq[s] += 1
        a_idx.append(add(3, codes[s_idx[s]][:9] + f"{a_seq[s]:03d}", s_idx[s], g))
    m_seq = np.zeros(n_areas, dtype=int)
    micro_idx = np.empty(len(cells), dtype=np.int64)
    order = np.lexsort((cent[:, 0], -np.round(cent[:, 1], 3)))
    for c in order:
        a = area_of[c]
        m_seq[a] += 1
        micro_idx[c] = add(4, codes[a_idx[a]] + f"{m_seq[a]:03d}", a_idx[a], cells[c])
    # Building clusters: every 20th micro-grid split in two halves along its longer side.
    split = {}
    for c in range(0, len(cells), 20):
        g = cells[c]
        bx0, by0, bx1, by1 = g.bounds
        if bx1 - bx0 >= by1 - by0:
            mid = (bx0 + bx1) / 2
            halves = [shapely.box(bx0 - 1, by0 - 1, mid, by1 + 1), shapely.box(mid, by0 - 1, bx1 + 1, by1 + 1)]
        else:
            mid = (by0 + by1) / 2
            halves = [shapely.box(bx0 - 1, by0 - 1, bx1 + 1, mid), shapely.box(bx0 - 1, mid, bx1 + 1, by1 + 1)]
        parts = [shapely.set_precision(shapely.intersection(g, h), 1e-7) for h in halves]
        if all(p.geom_type == "Polygon" and not p.is_empty for p in parts):
            split[micro_idx[c]] = [add(5, codes[micro_idx[c]] + f"{k + 1:03d}", micro_idx[c], p)
                                   for k, p in enumerate(parts)]
    levels, parents = np.array(levels, dtype=np.int16), np.array(parents, dtype=np.int64)
    geoms = np.array(geoms, dtype=object)
    is_parent = np.zeros(len(levels), dtype=bool)
    is_parent[parents[parents >= 0]] = True
    leaves = np.flatnonzero(~is_parent)
    # Addresses: clustered around the towns, tighter than the grid seeds (a town's blocks).
    points = _clustered(rng, n_points, box, towns, spread, 0.8)
    points = points[_morton_order(points)]
    tree = shapely.STRtree(geoms[leaves])
    p_idx, g_idx = tree.query(shapely.points(points), predicate="intersects")
    point_cell = np.full(len(points), -1, dtype=np.int64)
    point_cell[p_idx] = leaves[g_idx]  # an edge point keeps one of its grids; only used for proportions
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, levels=levels, codes=np.array(codes), parents=parents,
             geoms=np.array(shapely.to_wkb(geoms).tolist(), dtype=object).astype(bytes), points=points,
             point_cell=point_cell, leaves=leaves)
    return build(size, seed)


def db_name(size: str) -> str:
    return f"geogrid_bench_province_{size}"


def _copy(cur, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(row) + "\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def _without_indexes(cur, table: str):
    """Drop a table's secondary indexes (given back to be rebuilt after the load)."""
    cur.execute("SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = %s AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [table])
    found = cur.fetchall()
    for name, _def in found:
        cur.execute(f'DROP INDEX "{name}"')
    # A partitioned table's index reads "ON ONLY <table>" (this table alone): rebuilt on the
    # whole table, so every partition gets it again.
    return [d.replace(" ON ONLY ", " ON ") for _n, d in found]


def load(p: Province, srid: int) -> dict:
    """Fill the (migrated, empty or stale) database with the province unless it holds it already.
    Returns the counts of what it holds."""
    from django.core.management import call_command
    from django.db import connection

    from layers.incidents.taxonomy import taxonomy_ensure

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        cur.execute("SELECT value FROM bench_meta WHERE key = 'province'")
        row = cur.fetchone()
        if not (row and row[0] == p.name):
            _load(cur, p, srid, taxonomy_ensure)
            cur.execute("INSERT INTO bench_meta VALUES ('province', %s) ON CONFLICT (key) DO UPDATE "
                        "SET value = EXCLUDED.value", [p.name])
    # The layout a deployment runs (`make run` does the same): each district in its own partition
    # of every partitioned table. Idempotent; the first call on a loaded database moves its rows.
    call_command("partitions_ensure", verbosity=0)
    with connection.cursor() as cur:
        counts = {}
        for table in ("grids_grid", "addresses_address", "incidents_incident", "incidents_incidentevent",
                      "subjects_subject", "subjects_visit", "staff_assignment", "patrols_patrolpoint"):
            cur.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            counts[table] = cur.fetchone()[0]
    return counts


def _load(cur, p: Province, srid: int, taxonomy_ensure) -> None:
    rng = np.random.default_rng(SEED + 1)
    # The tables keyed to cases and subjects by Django only (partitioned parents have no foreign
    # keys, layers/core/partitions.py) are named: CASCADE does not reach them.
    cur.execute("TRUNCATE addresses_addressspecialgrid, addresses_address, grids_gridpiece, grids_gridversion, "
                "grids_gridcode, grids_grid, incidents_incident, incidents_incidentevent, subjects_subject, "
                "subjects_visit, staff_assignment, patrols_patrol, patrols_patrolpoint, "
                "incidents_incident_special_grids, incidents_escalation, incidents_rating, incidents_photo, "
                "incidents_intakekey, open311_servicerequest, patrols_patrolreport, residents_publicreport, "
                "routines_decision, subjects_reveallog RESTART IDENTITY CASCADE")
    # A database the growth run has used holds audit rows of its staff (their logins): they go with them.
    cur.execute("DELETE FROM audit_auditevent WHERE user_id IN (SELECT id FROM auth_user WHERE username LIKE 'p-%%')")
    cur.execute("DELETE FROM auth_user WHERE username LIKE 'p-%%'")
    n = len(p.levels)
    ids = np.arange(1, n + 1)
    paths = [""] * n
    for i in range(n):  # parents come first
        paths[i] = (paths[p.parents[i]] if p.parents[i] >= 0 else "/") + f"{ids[i]}/"
    multi = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in p.geoms]
    wkb = shapely.to_wkb(shapely.set_srid(np.array(multi, dtype=object), srid), hex=True, include_srid=True)
    names = {1: "区", 2: "街道", 3: "小区", 4: "网格", 5: "楼组"}
    grid_idx = [d for t in ("grids_grid", "grids_gridpiece", "grids_gridversion") for d in _without_indexes(cur, t)]
    _copy(cur, "grids_grid", ["id", "parent_id", "path", "level", "kind", "use", "name", "code", "next_child_seq",
                              "geometry", "valid_from", "version", "created_at", "updated_at", "attributes"],
          ((str(ids[i]), str(ids[p.parents[i]]) if p.parents[i] >= 0 else "\\N", paths[i], str(p.levels[i]), "base",
            "residential" if p.levels[i] >= 4 else "", f"{names[int(p.levels[i])]}{p.codes[i][-3:]}", str(p.codes[i]),
            "100", wkb[i], "2025-01-01", "1", "2025-01-01", "2025-01-01", "{}") for i in range(n)))
    cur.execute("SELECT setval(pg_get_serial_sequence('grids_grid', 'id'), %s)", [n])
    cur.execute("INSERT INTO grids_gridcode (code, grid_id, issued_at) SELECT code, id, now() FROM grids_grid")
    cur.execute("INSERT INTO grids_gridversion (grid_id, version, geometry, valid_from, change, created_at) "
                "SELECT id, 1, geometry, valid_from, 'bench', now() FROM grids_grid")
    cur.execute("INSERT INTO grids_gridpiece (grid_id, kind, level, geometry) "
                "SELECT id, kind, level, ST_Subdivide(geometry, 64) FROM grids_grid")
    for d in grid_idx:
        cur.execute(d)

    # Addresses (grid left empty: the bulk assignment is a measured figure).
    addr_idx = _without_indexes(cur, "addresses_address")
    pts = shapely.to_wkb(shapely.set_srid(shapely.points(p.points), srid), hex=True, include_srid=True)
    hh = rng.integers(1, 6, len(pts))
    _copy(cur, "addresses_address",
          ["full_text", "district", "street", "community", "road", "number", "building", "unit", "room", "kind",
           "households", "geometry", "source_crs", "near_boundary", "created_at", "search_key", "external_id"],
          ((f"省道{i // 1000}路{i % 1000}号", "", "", "", f"省道{i // 1000}路", str(i % 1000), "", "", "", "residential",
            str(hh[i]), pts[i], "wgs84", "f", "2025-01-01", "", "") for i in range(len(pts))))
    for d in addr_idx:
        cur.execute(d)
    cur.execute("ANALYZE grids_grid; ANALYZE grids_gridpiece; ANALYZE addresses_address")
    _people_and_cases(cur, p, rng, taxonomy_ensure)


def _people_and_cases(cur, p: Province, rng, taxonomy_ensure) -> None:
    """Staff, incidents with events, subjects with visits, patrols with points, in proportion."""
    taxonomy_ensure()
    cur.execute("SELECT id FROM incidents_incidenttype ORDER BY id")
    types = [r[0] for r in cur.fetchall()]
    n = len(p.levels)
    ids = np.arange(1, n + 1)
    micro = np.flatnonzero(p.levels == 4)
    leaves = p.leaves
    # Users and assignments: head + member per micro-grid, chief per area, leader per street/district.
    roles = [(i, "grid_head") for i in micro] + [(i, "grid_member") for i in micro] + \
            [(i, "station_chief") for i in np.flatnonzero(p.levels == 3)] + \
            [(i, "street_leader") for i in np.flatnonzero(p.levels == 2)] + \
            [(i, "district_leader") for i in np.flatnonzero(p.levels == 1)]
    _copy(cur, "auth_user", ["password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
                             "is_active", "date_joined"],
          (("!", "f", f"p-{k}", "", "", "", "f", "t", "2025-01-01") for k in range(len(roles))))
    cur.execute("SELECT id FROM auth_user WHERE username LIKE 'p-%%' ORDER BY substr(username, 3)::int")
    uids = [r[0] for r in cur.fetchall()]
    _copy(cur, "staff_assignment", ["role", "active", "grid_id", "user_id", "duties"],
          ((role, "t", str(ids[g]), str(u), "{}") for (g, role), u in zip(roles, uids)))
    head_of = {int(g): u for (g, role), u in zip(roles, uids) if role == "grid_head"}
    # Incidents at one address in ten, in its leaf grid; two events each.
    ok = np.flatnonzero(p.point_cell >= 0)
    pick = ok[rng.choice(len(ok), len(ok) // 10, replace=False)]
    pick.sort()
    geoms = shapely.to_wkb(shapely.set_srid(shapely.points(p.points[pick]), 4490), hex=True, include_srid=True)
    statuses = np.array(["reported", "accepted", "dispatched", "in_progress", "resolved", "closed"])
    st = statuses[rng.integers(0, len(statuses), len(pick))]
    days = rng.integers(0, 365, len(pick))
    base = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    inc_idx = _without_indexes(cur, "incidents_incident")
    _copy(cur, "incidents_incident",
          ["ref", "geometry", "source_crs", "near_boundary", "description", "incident_class", "source", "status",
           "reported_at", "deadline", "escalation_level", "created_at", "updated_at", "address_id", "grid_id",
           "type_id", "in_gap", "closed_at"],
          ((f"P{k:09d}", geoms[k], "wgs84", "f", "合成事件", "general", "grid_patrol", st[k],
            (base + dt.timedelta(days=int(days[k]))).isoformat(),
            (base + dt.timedelta(days=int(days[k]) + 3)).isoformat(), "0",
            (base + dt.timedelta(days=int(days[k]))).isoformat(), (base + dt.timedelta(days=int(days[k]))).isoformat(),
            str(int(pick[k]) + 1), str(ids[p.point_cell[pick[k]]]), str(types[k % len(types)]), "f",
            (base + dt.timedelta(days=int(days[k]) + 2)).isoformat() if st[k] == "closed" else "\\N")
           for k in range(len(pick))))
    # Each case in the district it was reported in, its log beside it (layers/core/partitions.py).
    cur.execute("UPDATE incidents_incident i SET district_code = geogrid_district_code(g.code), "
                "log_district = geogrid_district_code(g.code) FROM grids_grid g WHERE g.id = i.grid_id")
    for d in inc_idx:
        cur.execute(d)
    ev_idx = _without_indexes(cur, "incidents_incidentevent")
    cur.execute("INSERT INTO incidents_incidentevent (kind, role, at, from_status, to_status, note, data, incident_id, "
                "district_code) "
                "SELECT 'created', 'grid_member', reported_at, '', 'reported', '', '{}'::jsonb, id, log_district "
                "FROM incidents_incident "
                "UNION ALL SELECT 'transition', 'grid_head', reported_at + interval '1 hour', 'reported', status, '', "
                "'{}'::jsonb, id, log_district FROM incidents_incident WHERE status <> 'reported'")
    for d in ev_idx:
        cur.execute(d)
    # Subjects at one address in twenty, two visits each by the grid's head.
    subj = ok[rng.choice(len(ok), len(ok) // 20, replace=False)]
    subj.sort()
    sub_idx = _without_indexes(cur, "subjects_subject")
    _copy(cur, "subjects_subject", ["kind", "name", "category", "needs", "contact", "notes", "ethnicity", "religion",
                                    "id_number", "phone", "created_at", "updated_at", "address_id", "grid_id"],
          (("person", f"对象{k}", "elderly_alone", "", "", "", "", "", "", "", "2025-01-01", "2025-01-01",
            str(int(a) + 1), str(ids[p.point_cell[a]])) for k, a in enumerate(subj)))
    # Each subject in its grid's district (layers/core/partitions.py).
    cur.execute("UPDATE subjects_subject s SET district_code = geogrid_district_code(g.code) "
                "FROM grids_grid g WHERE g.id = s.grid_id")
    for d in sub_idx:
        cur.execute(d)
    cur.execute("SELECT s.id, s.grid_id FROM subjects_subject s ORDER BY s.id")
    subjects = cur.fetchall()
    micro_of_leaf = {int(ids[i]): int(ids[p.parents[i]]) if p.levels[i] == 5 else int(ids[i]) for i in leaves}
    vis_idx = _without_indexes(cur, "subjects_visit")
    vdays = rng.integers(0, 365, 2 * len(subjects))
    _copy(cur, "subjects_visit", ["date", "kind", "notes", "follow_up", "follow_up_done", "created_at", "staff_id",
                                  "subject_id"],
          (((dt.date(2025, 1, 1) + dt.timedelta(days=int(vdays[2 * k + j]))).isoformat(), "home", "", "", "f",
            "2025-01-01", str(head_of.get(micro_of_leaf[g] - 1, uids[0])), str(s))
           for k, (s, g) in enumerate(subjects) for j in range(2)))
    # Each visit in its subject's district (the partition key, layers/core/partitions.py).
    cur.execute("UPDATE subjects_visit v SET district_code = s.district_code "
                "FROM subjects_subject s WHERE s.id = v.subject_id")
    for d in vis_idx:
        cur.execute(d)
    # One patrol per micro-grid by its head, 20 points along a walk inside it.
    _copy(cur, "patrols_patrol", ["started_at", "ended_at", "distance_m", "created_at", "grid_id", "member_id"],
          (("2025-06-01T08:00:00+00:00", "2025-06-01T09:00:00+00:00", "1000", "2025-06-01", str(ids[g]),
            str(head_of[int(g)])) for g in micro))
    pp_idx = _without_indexes(cur, "patrols_patrolpoint")
    cur.execute("INSERT INTO patrols_patrolpoint (geometry, at, patrol_id, district_code) "
                "SELECT d.geom, p.started_at + d.path[1] * interval '3 minutes', p.id, "
                "geogrid_district_code(g.code) FROM patrols_patrol p "
                "JOIN grids_grid g ON g.id = p.grid_id, ST_Dump(ST_GeneratePoints(g.geometry, 20, p.id::int)) d")
    for d in pp_idx:
        cur.execute(d)
    cur.execute("ANALYZE")
