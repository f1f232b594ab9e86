-- Every current grid with what a lookup answers about it, for the in-process locate index
-- (locator.py): loaded once per change of addresses_gridstate.token, not per request.
-- is_micro: a current base grid without current base child (the assignment's rule); the
-- parents are collected once (a correlated NOT EXISTS here ran as a scan per grid).
WITH parents AS (
    SELECT DISTINCT c.parent_id FROM grids_grid c
    WHERE c.valid_to IS NULL AND c.kind = 'base' AND c.parent_id IS NOT NULL
)
SELECT g.id, g.code, g.name, g.level, g.kind, g.path, ST_AsBinary(g.geometry),
       g.kind = 'base' AND p.parent_id IS NULL, g.station_id
FROM grids_grid g
LEFT JOIN parents p ON p.parent_id = g.id
WHERE g.valid_to IS NULL
