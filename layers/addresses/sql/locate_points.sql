-- Locate points (storage datum) in one round trip, each answer built as JSON inside PostGIS:
-- the web layer, not the database, is the cost of a lookup (DESIGN: ~0.1 ms a query here, while
-- a lookup of 4 ORM queries and Python serialisation runs at ~250/s). Used for one point and
-- for batches of up to 10,000 (unnest keeps one statement either way). Prepared once per
-- connection with a generic plan, so every grid access is written as a correlated lookup by
-- primary key (an index probe whatever the table size), never left to a join the plan might
-- turn into a scan of all grids.
-- {hit} finds the grids covering each point: today from the subdivided pieces of current grids
-- (GiST), on a past date from the grid versions valid then (grids.GridVersion).
-- Same rules as the bulk assignment (assign_micro.sql): micro-grid = current base grid without
-- current base child; a point covered by several goes to the deepest level, then the lowest
-- code; edge distance on the grid's local ellipsoidal scale.
WITH pts AS (
    SELECT u.ord, ST_SetSRID(ST_MakePoint(u.x, u.y), %(srid)s) AS geom
    FROM unnest(%(xs)s::float8[], %(ys)s::float8[]) WITH ORDINALITY AS u(x, y, ord)
),
hit AS MATERIALIZED (
    {hit}
),
leaf AS MATERIALIZED (
    SELECT DISTINCT ON (h.ord) h.ord, h.grid_id
    FROM hit h
    WHERE h.kind = 'base'
      AND NOT EXISTS (SELECT 1 FROM grids_grid c WHERE c.parent_id = h.grid_id AND c.kind = 'base' AND {child_valid})
    ORDER BY h.ord, h.level DESC, (SELECT g.code FROM grids_grid g WHERE g.id = h.grid_id) COLLATE "C"
),
info AS MATERIALIZED (
    SELECT g.id, k.kx, k.ky, ST_Affine(ST_Boundary(g.geometry), k.kx, 0, 0, k.ky, 0, 0) AS edge,
           json_build_object('id', g.id, 'code', g.code, 'name', g.name, 'level', g.level) AS grid,
           (SELECT json_agg(json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'level', a.level)
                            ORDER BY c.n DESC)
            FROM unnest(string_to_array(trim(both '/' from g.path), '/')::bigint[]) WITH ORDINALITY AS c(id, n)
            CROSS JOIN LATERAL (SELECT a.id, a.code, a.name, a.level FROM grids_grid a WHERE a.id = c.id) a) AS chain,
           (SELECT json_build_object('id', st.id, 'code', st.code, 'name', st.name, 'phone', st.phone)
            FROM unnest(string_to_array(trim(both '/' from g.path), '/')::bigint[]) WITH ORDINALITY AS c(id, n)
            CROSS JOIN LATERAL (SELECT a.station_id FROM grids_grid a WHERE a.id = c.id) a
            CROSS JOIN LATERAL (SELECT * FROM grids_station s WHERE s.id = a.station_id) st
            ORDER BY c.n DESC LIMIT 1) AS station
    FROM (SELECT DISTINCT grid_id FROM leaf) l
    CROSS JOIN LATERAL (SELECT * FROM {geometry_source} g WHERE g.id = l.grid_id) g
    CROSS JOIN LATERAL (SELECT sin(radians(ST_Y(ST_Centroid(g.geometry)))) AS s,
                               cos(radians(ST_Y(ST_Centroid(g.geometry)))) AS c) t
    CROSS JOIN LATERAL (SELECT 6378137.0 / sqrt(1 - 0.00669437999014 * t.s * t.s) * t.c * pi() / 180 AS kx,
                               6378137.0 * (1 - 0.00669437999014)
                                 / power(1 - 0.00669437999014 * t.s * t.s, 1.5) * pi() / 180 AS ky) k
),
special AS (
    SELECT h.ord, json_agg(json_build_object('id', s.id, 'code', s.code, 'name', s.name, 'kind', s.kind)
                           ORDER BY s.code COLLATE "C") AS special
    FROM hit h
    CROSS JOIN LATERAL (SELECT s.id, s.code, s.name, s.kind FROM grids_grid s WHERE s.id = h.grid_id) s
    WHERE h.kind <> 'base'
    GROUP BY h.ord
)
SELECT pts.ord,
       CASE WHEN i.id IS NOT NULL THEN json_build_object(
           'grid', i.grid, 'chain', i.chain, 'special', coalesce(sp.special, '[]'::json),
           'station', i.station, 'near_boundary', e.edge_m <= %(near)s,
           'edge_distance_m', round(e.edge_m::numeric, 2))::text END
FROM pts
LEFT JOIN leaf l ON l.ord = pts.ord
LEFT JOIN info i ON i.id = l.grid_id
LEFT JOIN special sp ON sp.ord = pts.ord
LEFT JOIN LATERAL (SELECT ST_Distance(i.edge, ST_Affine(pts.geom, i.kx, 0, 0, i.ky, 0, 0)) AS edge_m) e
       ON i.id IS NOT NULL
ORDER BY pts.ord
