-- Finished patrols per target grid, over each target's subtree; with %(since)s / %(until)s (or NULL)
-- only the patrols started in [since, until).
-- Why SQL: each patrol's grid is mapped to every grid above it through the ids in its path (as
-- subjects/sql/coverage.sql does), one pass for all targets; the ORM would need a query per grid.
-- The ids are cast to bigint[]: against the integer[] a Python list becomes, `bigint = ANY(...)`
-- is a cross-type operator PostgreSQL does not hash, and each of the patrols' path ids was
-- compared with every target in turn (6.1 s for the 30,000 targets of the l province).
SELECT x.anc::bigint AS target_id,
       count(*) AS patrols,
       coalesce(sum(extract(epoch FROM (p.ended_at - p.started_at))), 0) AS seconds,
       coalesce(sum(p.distance_m), 0) AS metres
FROM patrols_patrol p
JOIN grids_grid g ON g.id = p.grid_id
CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from g.path), '/')) AS x(anc)
WHERE p.ended_at IS NOT NULL AND x.anc::bigint = ANY(%(ids)s::bigint[])
  AND (%(since)s::timestamptz IS NULL OR p.started_at >= %(since)s::timestamptz)
  AND (%(until)s::timestamptz IS NULL OR p.started_at < %(until)s::timestamptz)
GROUP BY 1
