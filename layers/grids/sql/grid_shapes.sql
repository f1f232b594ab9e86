-- Grid polygons as WKB, optionally simplified (the one GeoDataFrame reader, grids/frames.py).
-- Why SQL and WKB: a GeoDataFrame needs shapely geometries; parsing 10,000 polygons from
-- GeoJSON text costs 0.4-0.7 s, from WKB (shapely.from_wkb, vectorised) ~20 ms, and the
-- simplification is best done next to the data. ST_Simplify with preserveCollapsed keeps tiny
-- grids visible and is 10x faster than ST_SimplifyPreserveTopology (15 vs 150 ms for 10,000
-- grids); at map tolerances (a few metres) the difference does not show.
SELECT g.id, g.code, g.name, g.level, g.kind, g.use, g.parent_id, g.version,
       p.code AS parent_code, s.name AS station, g.valid_from, g.valid_to,
       ST_AsBinary(CASE WHEN %(tolerance)s > 0 THEN ST_Simplify(g.geometry, %(tolerance)s, true)
                        ELSE g.geometry END) AS wkb
FROM grids_grid g
LEFT JOIN grids_grid p ON p.id = g.parent_id
LEFT JOIN grids_station s ON s.id = g.station_id
WHERE g.id = ANY(%(ids)s)
ORDER BY g.code
