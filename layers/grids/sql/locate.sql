-- Every current grid whose boundary covers a point, with the distance (m) from the point to
-- that grid's edge. One round trip: pieces (ST_Subdivide) with GiST narrow the candidates,
-- ST_Covers decides (a point on an edge is covered by both neighbours; the caller breaks the
-- tie). Used by the basic grid_locate; the addresses layer has the tuned lookup path.
SELECT DISTINCT ON (g.id) g.id, g.code, g.name, g.level, g.kind, g.path, g.station_id,
       ST_Distance(ST_Boundary(g.geometry)::geography, pt.geom::geography) AS edge_m
FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), %(srid)s) AS geom) pt
JOIN grids_gridpiece p ON ST_Covers(p.geometry, pt.geom)
JOIN grids_grid g ON g.id = p.grid_id
