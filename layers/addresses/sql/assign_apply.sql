-- Apply one assignment run: compare with what is stored, keep the differences in `changes`
-- (the diff reported to the user), then write only those rows. A re-run over unchanged grids
-- writes nothing. Edge distances are kept to the centimetre so that float noise is no change.
CREATE TEMP TABLE {changes} ON COMMIT DROP AS
SELECT a.id, a.grid_id AS old_grid, w.grid_id AS new_grid,
       round(w.edge_m::numeric, 2)::float8 AS edge_m
FROM addresses_address a
LEFT JOIN {work} w ON w.address_id = a.id
WHERE {point_filter}
  AND (a.grid_id IS DISTINCT FROM w.grid_id
       OR a.edge_distance_m IS DISTINCT FROM round(w.edge_m::numeric, 2)::float8);

UPDATE addresses_address a
SET grid_id = c.new_grid, edge_distance_m = c.edge_m,
    near_boundary = coalesce(c.edge_m <= %(near)s, false), assigned_at = now()
FROM {changes} c
WHERE a.id = c.id;

DELETE FROM addresses_addressspecialgrid l
USING addresses_address a
WHERE l.address_id = a.id AND {point_filter}
  AND NOT EXISTS (SELECT 1 FROM {work_special} w WHERE w.address_id = l.address_id AND w.grid_id = l.grid_id);

INSERT INTO addresses_addressspecialgrid (address_id, grid_id)
SELECT DISTINCT w.address_id, w.grid_id FROM {work_special} w
WHERE NOT EXISTS (SELECT 1 FROM addresses_addressspecialgrid l
                  WHERE l.address_id = w.address_id AND l.grid_id = w.grid_id);
