-- One vector tile (MVT) of current grids of the base network (never the party-building grid), the figures of those in the user's scope as properties.
-- Why SQL: ST_AsMVT builds the whole tile in PostgreSQL (Python only hands the bytes on), and
-- the per-grid figures are sums over each grid's subtree, a range on `path` (~>=~, ~<~, which
-- the path's pattern index serves) that the ORM cannot express as a correlated range.
-- Scope: a grid is "mine" when the user may read coverage figures (%(figures)s) and the grid is
-- in the user's subtree (everything, or its path starts with one of %(patterns)s); only mine
-- get figures, every other grid only its code and name. Subjects are coarsened as in
-- subjects.coverage_list (coarse_count: "<10", "10-19", ...) for a user who does not see small
-- counts (the /*subjects*/ expression, chosen in layers/ogc/tiles.py, is text then).
WITH env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), %(srid)s) AS box
), t AS (
    SELECT g.id, g.code, g.name, g.level, g.kind, g.parent_id, g.path, g.geometry,
           (%(figures)s AND (%(everything)s OR g.path LIKE ANY(%(patterns)s))) AS mine
    FROM grids_grid g, env
    WHERE g.valid_to IS NULL AND g.network = 'base' AND g.kind = ANY(%(kinds)s)
      AND (%(level)s::int IS NULL OR g.level = %(level)s::int)
      AND (NOT %(only_mine)s OR %(everything)s OR g.path LIKE ANY(%(patterns)s))
      AND g.geometry && env.box
), below AS (
    -- LATERAL with OFFSET 0: one index range scan per grid of the tile, never a join of the
    -- tile's grids against the whole grid table (the planner's row guess for `t` is poor).
    SELECT t.id AS tid, d.id AS gid, d.current
    FROM t CROSS JOIN LATERAL (
        SELECT d.id, d.valid_to IS NULL AS current FROM grids_grid d
        WHERE d.path ~>=~ t.path AND d.path ~<~ (t.path || '~') OFFSET 0) d
    WHERE t.mine
), addr AS (
    SELECT b.tid, count(*) AS addresses, coalesce(sum(a.households), 0) AS households
    FROM below b CROSS JOIN LATERAL (
        SELECT a.households FROM addresses_address a WHERE a.grid_id = b.gid OFFSET 0) a
    WHERE b.current GROUP BY b.tid
), subj AS (
    -- Each of these reads the rows of the tile's grids by their grid index (LATERAL, OFFSET 0):
    -- joined whole, the planner's poor guess for `below` made hash joins over the whole table
    -- (every incident and assignment of a province read for one tile).
    SELECT b.tid, count(*) AS n
    FROM below b CROSS JOIN LATERAL (
        SELECT 1 FROM subjects_subject s WHERE s.grid_id = b.gid OFFSET 0) s
    WHERE b.current GROUP BY b.tid
), staff AS (
    SELECT b.tid, count(DISTINCT a.user_id) AS staff
    FROM below b CROSS JOIN LATERAL (
        SELECT a.user_id FROM staff_assignment a
        WHERE a.grid_id = b.gid AND a.active AND a.role = ANY(%(roles)s) OFFSET 0) a
    WHERE b.current GROUP BY b.tid
), inc AS (
    SELECT b.tid,
           count(*) FILTER (WHERE i.status NOT IN ('closed', 'rejected')) AS open,
           count(*) FILTER (WHERE i.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'reopened')
                              AND i.deadline < %(now)s) AS overdue
    FROM below b CROSS JOIN LATERAL (
        SELECT i.status, i.deadline FROM incidents_incident i WHERE i.grid_id = b.gid OFFSET 0) i
    GROUP BY b.tid
)
SELECT ST_AsMVT(m, %(layer)s, 4096, 'geom', 'id') FROM (
    SELECT ST_AsMVTGeom(ST_Transform(t.geometry, 3857), env.e, 4096, 64, true) AS geom,
           t.id, t.code, t.name, t.level, t.kind, t.parent_id AS parent,
           CASE WHEN t.mine THEN coalesce(addr.addresses, 0) END AS addresses,
           CASE WHEN t.mine THEN coalesce(addr.households, 0) END AS households,
           CASE WHEN t.mine THEN coalesce(staff.staff, 0) END AS staff,
           CASE WHEN t.mine THEN /*subjects*/ END AS subjects,
           CASE WHEN t.mine AND staff.staff > 0
                THEN round(coalesce(addr.households, 0)::numeric / staff.staff, 1)::float8 END AS households_per_staff,
           CASE WHEN t.mine THEN coalesce(inc.open, 0) END AS open_incidents,
           CASE WHEN t.mine THEN coalesce(inc.overdue, 0) END AS overdue_incidents
    FROM t CROSS JOIN env
    LEFT JOIN addr ON addr.tid = t.id
    LEFT JOIN subj ON subj.tid = t.id
    LEFT JOIN staff ON staff.tid = t.id
    LEFT JOIN inc ON inc.tid = t.id
    -- OFFSET 0 keeps `m.geom IS NOT NULL` out here: pushed down into the join it would clip
    -- every geometry twice.
    OFFSET 0
) m WHERE m.geom IS NOT NULL
