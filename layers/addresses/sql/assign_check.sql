-- After the winners are written: one pass over the addresses (one share of the table's pages
-- per connection, {tid_range}) that both counts the result for the report and finds the
-- addresses that lost their grid (it is no longer a micro-grid, or no longer covers the point)
-- without a new one: coverage gaps to clear.
-- An address confirmed by this run (assigned_at >= %(started)s) is settled. Any other address
-- whose grid is a micro-grid unchanged since the address was assigned is settled too (points
-- change only through the services, which clear assigned_at). Only the rest pay for ST_Covers
-- ({force} tests every unconfirmed one): after a run over unchanged grids, none.
-- One scan, aggregated; the few losers travel as arrays into {lost}. {covers}: a run that
-- tests every address hashes the grids with their geometry; otherwise the geometry of a grid
-- is read only for the rare address that needs ST_Covers.
WITH s AS (
    SELECT count(*) AS considered, count(x.grid_id) AS assigned, count(*) FILTER (WHERE x.near_boundary) AS near,
           array_agg(x.id) FILTER (WHERE x.lost) AS ids, array_agg(x.grid_id) FILTER (WHERE x.lost) AS olds,
           count(*) FILTER (WHERE x.lost AND x.near_boundary) AS lost_near
    FROM (
        SELECT a.id, a.grid_id, a.near_boundary,
               a.grid_id IS NOT NULL AND (
                   m.id IS NULL
                   OR ((a.assigned_at IS NULL OR a.assigned_at < %(started)s)
                       AND ({force} OR a.assigned_at IS NULL OR a.assigned_at < m.updated_at)
                       AND NOT {covers})) AS lost
        FROM addresses_address a
        -- The current micro-grids, narrow (no geometry), hashed: the table is probed, not hashed.
        LEFT JOIN (
            SELECT g.id, g.updated_at{m_geometry} FROM grids_micro mg JOIN grids_grid g ON g.id = mg.id
        ) m ON m.id = a.grid_id
        WHERE {tid_range} AND {point_filter}
    ) x
),
ins AS (
    INSERT INTO {lost} (id, old_grid)
    SELECT u.id, u.old_grid FROM s CROSS JOIN LATERAL unnest(s.ids, s.olds) AS u(id, old_grid)
)
SELECT considered, assigned, near, lost_near FROM s
