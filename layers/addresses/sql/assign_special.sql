-- Special grids overlay the base tiling: every current special grid covering an address.
-- Polygon-driven like assign_micro (few, large special grids; GiST on the points).
INSERT INTO {work_special} (address_id, grid_id)
SELECT p.id, s.id
FROM grids_grid s
CROSS JOIN LATERAL (
    SELECT a.id FROM addresses_address a
    WHERE ST_Covers(s.geometry, a.geometry) AND {point_filter}
    OFFSET 0
) p
WHERE s.valid_to IS NULL AND s.kind <> 'base' AND {grid_filter}
