-- Grid polygons for the map pages as WKB, simplified for the zoom.
-- Why SQL and WKB: a GeoDataFrame needs shapely geometries; parsing 10,000 polygons from
-- GeoJSON text costs 0.4-0.7 s, from WKB (shapely.from_wkb, vectorised) ~20 ms, and the
-- simplification is best done next to the data. ST_Simplify with preserveCollapsed keeps tiny
-- grids visible and is 10x faster than ST_SimplifyPreserveTopology (15 vs 150 ms for 10,000
-- grids); at map tolerances (a few metres) the difference does not show.
SELECT g.id, g.code, g.name, g.level, g.kind, g.use, g.parent_id, g.version,
       ST_AsBinary(CASE WHEN %(tolerance)s > 0 THEN ST_Simplify(g.geometry, %(tolerance)s, true)
                        ELSE g.geometry END) AS wkb
FROM grids_grid g
WHERE g.id = ANY(%(ids)s)
ORDER BY g.code
