-- Area (m²) of a candidate geometry that lies outside its parent.
SELECT ST_Area(ST_Difference(ST_GeomFromEWKB(%(geom)s), p.geometry)::geography)
FROM grids_grid p WHERE p.id = %(parent)s
