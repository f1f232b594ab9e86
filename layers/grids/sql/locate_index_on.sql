-- The base network's grids valid on a past date %(on)s with the boundary they had then (grids.GridVersion), for
-- the dated locate index (layers/grids/locate.py). A micro-grid on that date: a base grid valid
-- then with no base child valid then (grids_micro is the same rule for today).
WITH g AS (
    SELECT g.id, g.code, g.name, g.level, g.kind, g.path, g.parent_id, g.station_id, v.geometry
    FROM grids_grid g
    JOIN grids_gridversion v ON v.grid_id = g.id
     AND v.valid_from <= %(on)s AND (v.valid_to IS NULL OR v.valid_to > %(on)s)
    WHERE g.network = 'base' AND g.valid_from <= %(on)s AND (g.valid_to IS NULL OR g.valid_to > %(on)s)
),
parents AS (SELECT DISTINCT parent_id FROM g WHERE kind = 'base' AND parent_id IS NOT NULL)
SELECT g.id, g.code, g.name, g.level, g.kind, g.path, ST_AsBinary(g.geometry),
       g.kind = 'base' AND p.parent_id IS NULL, g.station_id
FROM g
LEFT JOIN parents p ON p.parent_id = g.id
