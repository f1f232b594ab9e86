-- Last step of a run, in one transaction: clear the grid of the addresses that lost it without a
-- new one (coverage gaps; usually none), add them to the diff, and bring the special-grid links
-- up to date with the special grids found by assign_special.sql.
UPDATE addresses_address a
SET grid_id = NULL, district_code = '000000', edge_distance_m = NULL, near_boundary = false,
    assigned_at = clock_timestamp()
FROM {lost} l
WHERE a.id = l.id;

INSERT INTO {changes} (id, old_grid, new_grid, edge_m, part)
SELECT l.id, l.old_grid, NULL, NULL, 0 FROM {lost} l;

DELETE FROM addresses_addressspecialgrid l
USING addresses_address a
WHERE l.address_id = a.id AND {point_filter}
  AND NOT EXISTS (SELECT 1 FROM {work_special} w WHERE w.address_id = l.address_id AND w.grid_id = l.grid_id);

INSERT INTO addresses_addressspecialgrid (address_id, grid_id)
SELECT DISTINCT w.address_id, w.grid_id FROM {work_special} w
WHERE NOT EXISTS (SELECT 1 FROM addresses_addressspecialgrid l
                  WHERE l.address_id = w.address_id AND l.grid_id = w.grid_id)
