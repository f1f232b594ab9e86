-- Overlaps between current base children of one parent, one row per pair with its area.
-- ST_Relate '2********' = interiors share an area; merely touching grids are not listed.
SELECT a.id, a.code, b.id, b.code,
       ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(a.geometry, b.geometry), 3), 7),
       ST_Area(ST_Intersection(a.geometry, b.geometry)::geography)
FROM grids_grid a JOIN grids_grid b
  ON a.parent_id = b.parent_id AND a.id < b.id AND a.geometry && b.geometry
WHERE a.parent_id = %(parent)s AND a.kind = 'base' AND b.kind = 'base'
  AND a.valid_to IS NULL AND b.valid_to IS NULL
  AND ST_Relate(a.geometry, b.geometry, '2********')
  AND ST_Area(ST_Intersection(a.geometry, b.geometry)::geography) > %(tol)s
ORDER BY 6 DESC
