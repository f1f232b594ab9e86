-- Every current grid of the base network (another network is never located) with what a lookup answers about it, for the in-process locate index
-- (layers/grids/locate.py): loaded once per change of grids_gridstate.token, not per request.
-- is_micro: the grid is in the view grids_micro (the one definition of a current micro-grid).
SELECT g.id, g.code, g.name, g.level, g.kind, g.path, ST_AsBinary(g.geometry),
       m.id IS NOT NULL, g.station_id
FROM grids_grid g
LEFT JOIN grids_micro m ON m.id = g.id
WHERE g.valid_to IS NULL AND g.network = 'base'
