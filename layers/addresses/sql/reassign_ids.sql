-- The addresses a boundary change may move, when only the changed grids are known: those assigned
-- to them and those whose point lies in their current boundaries.
-- Why SQL: one statement for all the grids. A query per grid through the ORM was planned, on the
-- partitioned table, as a parallel scan of every partition each time (about 25 ms of worker
-- start-up per grid); here the grids drive one index probe of each partition.
SELECT a.id FROM addresses_address a WHERE a.grid_id = ANY(%(ids)s)
UNION
SELECT a.id FROM grids_grid g JOIN addresses_address a ON ST_Intersects(a.geometry, g.geometry)
WHERE g.id = ANY(%(ids)s)
ORDER BY 1
