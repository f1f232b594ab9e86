-- Apply one assignment run. The work table holds, per touched address, the grid that now wins
-- (with its edge distance) and/or a "lost" row (new_grid NULL) when its old grid no longer holds
-- it; a winning row beats a lost row. `changes` keeps them for the diff reported to the user;
-- only these rows are written, so a re-run over unchanged grids writes almost nothing.
CREATE TEMP TABLE {changes} ON COMMIT DROP AS
SELECT id, old_grid, new_grid, edge_m FROM (
    SELECT DISTINCT ON (w.address_id) w.address_id AS id, w.old_grid, w.new_grid, w.edge_m, w.must_write
    FROM {work} w
    ORDER BY w.address_id, w.new_grid IS NULL
) d
WHERE d.must_write;

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
