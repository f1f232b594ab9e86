-- Bulk assignment of addresses to micro-grids, driven from the polygons: for each micro-grid
-- the GiST index on the address points yields the candidates in its box and ST_Covers decides
-- (DESIGN: ~460k points/s, against ~42k/s for the point-driven UPDATE ... FROM ... ST_Contains).
-- OFFSET 0 keeps the planner from flattening the lateral back into a point-driven join.
-- mod(id, parts) = part splits the grids into disjoint halves, one per connection/core.
--
-- Micro-grid: the view grids_micro (a current base grid with no current base child).
-- Edge rule (identical in layers/grids/locate.py): a point covered by several micro-grids (it lies on
-- their shared edge) goes to the one of the deepest level, then the lowest code (byte order).
-- The rule is checked for EVERY written point, not only near the edge: base grids of different
-- parents (or top-level grids stored before their overlap check existed) can overlap by whole
-- blocks, and a point deep inside such an overlap must go to the same winner on every run
-- (a 5 cm band here made two runs move thousands of addresses back and forth). Only rows
-- about to be written reach this test, so a run over unchanged grids pays nothing for it.
-- Edge distance: metres on a local ellipsoidal scale (WGS84 radii of curvature at the grid's
-- centroid latitude), planar; within millimetres of the geodesic distance at grid scale and
-- far cheaper than a geography distance. It is the costly part, so it is computed only for
-- "dirty" points: not yet in this grid, never measured, or measured before the grid last
-- changed ({force} recomputes all). Of the dirty points only those whose grid or distance
-- differs, or that were never confirmed against this grid, go to the work table: they are the
-- rows to write (everything else of a run is reading).
INSERT INTO {work} (address_id, old_grid, new_grid, edge_m)
WITH micro_ids AS MATERIALIZED (
    -- The run's micro-grids (every one for the whole city), collected once and probed by hash
    -- below. Filtered here too: the planner prices the box of a targeted run at a row or two and
    -- probes the set once per grid it finds, so a set of every micro-grid of a province (31,500)
    -- cost a re-assignment of 8 grids 0.22 s of its 0.3.
    SELECT m.id FROM grids_micro m JOIN grids_grid g ON g.id = m.id WHERE {grid_filter}
),
micro AS MATERIALIZED (
    SELECT g.id, g.code COLLATE "C" AS code, g.level, g.geometry, g.updated_at, k.kx, k.ky,
           ST_SetSRID(ST_Scale(ST_Boundary(g.geometry), k.kx, k.ky), 0) AS edge
    FROM grids_grid g
    CROSS JOIN LATERAL (SELECT radians(ST_Y(ST_Centroid(g.geometry))) AS lat OFFSET 0) y
    CROSS JOIN LATERAL (SELECT sin(y.lat) AS s, cos(y.lat) AS c) t
    CROSS JOIN LATERAL (SELECT 6378137.0 / sqrt(1 - 0.00669437999014 * t.s * t.s) * t.c * pi() / 180 AS kx,
                               6378137.0 * (1 - 0.00669437999014)
                                 / power(1 - 0.00669437999014 * t.s * t.s, 1.5) * pi() / 180 AS ky) k
    WHERE g.id IN (SELECT id FROM micro_ids) AND mod(g.id, %(parts)s) = %(part)s
      AND {grid_filter}
)
SELECT q.id, q.grid_id, q.gid, q.edge_m
FROM (
    SELECT p.id, p.grid_id, p.geometry, p.dirty, p.edge_distance_m, p.assigned_at, g.updated_at,
           g.id AS gid, g.level, g.code,
           CASE WHEN p.dirty
                THEN round(ST_Distance(g.edge, ST_SetSRID(ST_Scale(p.geometry, g.kx, g.ky), 0)) * 100) / 100
                ELSE p.edge_distance_m END AS edge_m
    FROM micro g
    CROSS JOIN LATERAL (
        SELECT a.id, a.geometry, a.grid_id, a.edge_distance_m, a.assigned_at,
               ({force} OR a.grid_id IS DISTINCT FROM g.id OR a.edge_distance_m IS NULL
                OR a.assigned_at IS NULL OR a.assigned_at < g.updated_at) AS dirty
        FROM addresses_address a
        WHERE ST_Covers(g.geometry, a.geometry) AND {point_filter}
        OFFSET 0
    ) p
) q
WHERE q.dirty
  AND (q.grid_id IS DISTINCT FROM q.gid OR q.edge_distance_m IS DISTINCT FROM q.edge_m
       OR q.assigned_at IS NULL OR q.assigned_at < q.updated_at)
  -- A rival: another micro-grid that wins under the edge rule and covers the point. The cheap
  -- tests come first, fenced by OFFSET 0 so the planner cannot reorder them: the grids whose box
  -- holds the point (index), of a winning level and code, that are micro-grids (two index probes
  -- into grids_micro); only those few are tested with ST_Covers. Unfenced, the ancestors of every
  -- point (four large polygons at five levels) were tested with ST_Covers first, and the micro
  -- test was planned as a scan of every micro-grid id per candidate: 0.6 ms per written row.
  AND NOT EXISTS (
    SELECT 1 FROM (
        SELECT o.geometry FROM grids_grid o
        WHERE o.geometry ~ q.geometry AND o.id <> q.gid
          AND (o.level > q.level OR (o.level = q.level AND o.code COLLATE "C" < q.code))
          AND EXISTS (SELECT 1 FROM grids_micro m WHERE m.id = o.id)
        OFFSET 0) o
    WHERE ST_Covers(o.geometry, q.geometry));
