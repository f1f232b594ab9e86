-- Rebuild the subdivided lookup pieces of some grids (MapIt's fast path): small pieces with
-- tight boxes make the GiST probe and the containment test cheap for large polygons.
DELETE FROM grids_gridpiece WHERE grid_id = ANY(%(ids)s);
INSERT INTO grids_gridpiece (grid_id, kind, level, geometry)
SELECT g.id, g.kind, g.level, ST_Subdivide(g.geometry, 64)
FROM grids_grid g WHERE g.id = ANY(%(ids)s) AND g.valid_to IS NULL;
