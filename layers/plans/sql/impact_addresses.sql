-- Addresses in the parent's area (or placed under it) with the old child grid that holds them
-- now and the plan grid that would hold them: one pass of point-in-polygon against the draft
-- geometries, in SQL because it scales with the number of addresses (GiST on the points).
-- The old child is the parent's current child on the path of the address's micro-grid.
-- Edge rule of the in-plan locate (layers/grids/locate.py, locate_in_plan): the plan grids are of
-- one level, so a point on a shared edge goes to the lowest code: the live code a plan grid
-- continues (byte order), then new grids (no code yet) by plan grid id.
-- %(plan)s plan id; %(parent)s parent grid id.
WITH p AS (SELECT id, path, geometry FROM grids_grid WHERE id = %(parent)s)
SELECT a.id, a.households, old.id, pg.id
FROM p, addresses_address a
LEFT JOIN grids_grid ag ON ag.id = a.grid_id
LEFT JOIN LATERAL (
  SELECT c.id FROM grids_grid c, p
  WHERE c.parent_id = p.id AND c.kind = 'base' AND ag.path LIKE c.path || '%%'
  ORDER BY c.valid_to IS NULL DESC, c.id LIMIT 1
) old ON true
LEFT JOIN LATERAL (
  SELECT g.id FROM plans_plangrid g
  LEFT JOIN grids_grid s ON s.id = g.source_grid_id
  WHERE g.plan_id = %(plan)s AND g.kind = 'base' AND ST_Covers(g.geometry, a.geometry)
  ORDER BY s.code IS NULL, s.code COLLATE "C", g.id LIMIT 1
) pg ON true
WHERE ST_Covers(p.geometry, a.geometry) OR ag.path LIKE p.path || '%%'
