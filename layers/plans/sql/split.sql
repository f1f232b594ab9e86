-- Split one plan grid by a (already extended) blade line: ST_Split has no ORM function and
-- returns a GeometryCollection that ST_Dump turns into one row per piece.
-- %(geom)s: EWKB of the grid; %(blade)s: EWKB of the line (same SRID).
SELECT ST_AsEWKB(d.geom)
FROM (SELECT (ST_Dump(ST_Split(ST_GeomFromEWKB(%(geom)s), ST_GeomFromEWKB(%(blade)s)))).geom AS geom) d
WHERE ST_Dimension(d.geom) = 2
ORDER BY ST_Y(ST_Centroid(d.geom)) DESC, ST_X(ST_Centroid(d.geom))
