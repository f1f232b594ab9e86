-- Gaps: the parts of the parent that no current base child covers, one row per polygon.
-- In SQL because ST_Union + ST_Difference + ST_Dump over all children is one pass in GEOS
-- inside PostGIS; the ORM has no aggregate difference.
-- %(parent)s: parent grid id; %(tol)s: minimum area in m² worth reporting.
WITH p AS (SELECT geometry FROM grids_grid WHERE id = %(parent)s),
     u AS (SELECT ST_Union(geometry) AS geometry FROM grids_grid
           WHERE parent_id = %(parent)s AND kind = 'base' AND valid_to IS NULL),
     d AS (SELECT (ST_Dump(CASE WHEN u.geometry IS NULL THEN p.geometry
                               ELSE ST_Difference(p.geometry, u.geometry) END)).geom AS geometry
           FROM p, u)
SELECT ST_AsGeoJSON(geometry, 7), ST_Area(geometry::geography)
FROM d WHERE ST_Dimension(geometry) = 2 AND ST_Area(geometry::geography) > %(tol)s
ORDER BY 2 DESC
