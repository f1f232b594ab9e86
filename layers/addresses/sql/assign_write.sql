-- Write the winners of one run (one share of them per connection, so both cores write). The UPDATE is the write-bound part of a run: each row gets a
-- new heap version and new entries in every index of the table (~8 us a row here), so only the
-- rows in `changes` are written. clock_timestamp(), not now(): the check that follows
-- (assign_check.sql) tells rows confirmed by this run from older ones, also when a run shares
-- its transaction with an earlier one (a hook after an import, a test). The district code goes
-- with the grid: the table is partitioned by it, so an address that changes district moves its row.
UPDATE addresses_address a
SET grid_id = c.new_grid, edge_distance_m = c.edge_m,
    district_code = geogrid_district_code((SELECT g.code FROM grids_grid g WHERE g.id = c.new_grid)),
    near_boundary = coalesce(c.edge_m <= %(near)s, false), assigned_at = clock_timestamp()
FROM {changes} c
WHERE a.id = c.id AND c.part = %(part)s
