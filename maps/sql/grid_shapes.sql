-- Grid polygons for the map pages as WKB, simplified for the zoom.
-- Why SQL and WKB: a GeoDataFrame needs shapely geometries; parsing 10,000 polygons from
-- GeoJSON text costs 0.4-0.7 s, from WKB (shapely.from_wkb, vectorised) ~20 ms, and the
-- simplification is best done next to the data. The ids come from an ORM subquery (format slot "ids").
SELECT g.id, g.code, g.name, g.level, g.kind, g.use, g.parent_id, g.version,
       ST_AsBinary(CASE WHEN %(tolerance)s > 0 THEN ST_SimplifyPreserveTopology(g.geometry, %(tolerance)s)
                        ELSE g.geometry END) AS wkb
FROM grids_grid g
WHERE g.id IN ({ids})
ORDER BY g.code
