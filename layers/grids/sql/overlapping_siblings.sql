-- Current base siblings whose interior shares area with a candidate geometry.
-- %(geom)s is EWKB in the storage SRID; %(exclude)s ids that the change replaces.
SELECT g.id, g.code, g.name, ST_Area(ST_Intersection(g.geometry, c.geom)::geography)
FROM grids_grid g, (SELECT ST_GeomFromEWKB(%(geom)s) AS geom) c
WHERE g.parent_id = %(parent)s AND g.kind = 'base' AND g.valid_to IS NULL
  AND NOT (g.id = ANY(%(exclude)s))
  AND g.geometry && c.geom
  AND ST_Relate(g.geometry, c.geom, '2********')
  AND ST_Area(ST_Intersection(g.geometry, c.geom)::geography) > %(tol)s
ORDER BY g.code
