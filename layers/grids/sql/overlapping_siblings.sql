-- Current base siblings whose interior shares area with a candidate geometry.
-- %(geom)s is EWKB in the storage SRID; %(exclude)s ids that the change replaces.
-- Top-level grids (parent NULL) are siblings of each other too: IS NOT DISTINCT FROM, so two
-- overlapping districts cannot both be stored (an `=` here let them through, and the
-- assignment then had two micro-grids covering the same points).
SELECT g.id, g.code, g.name, ST_Area(ST_Intersection(g.geometry, c.geom)::geography)
FROM grids_grid g, (SELECT ST_GeomFromEWKB(%(geom)s) AS geom) c
WHERE g.parent_id IS NOT DISTINCT FROM %(parent)s AND g.kind = 'base' AND g.valid_to IS NULL
  AND NOT (g.id = ANY(%(exclude)s))
  AND g.geometry && c.geom
  AND ST_Relate(g.geometry, c.geom, '2********')
  AND ST_Area(ST_Intersection(g.geometry, c.geom)::geography) > %(tol)s
ORDER BY g.code
