-- Coverage figures per target grid, over each target's subtree.
-- Why SQL: every micro-grid is mapped to the targets above it through the ids in its path
-- (a hash join on unnested path ids), then addresses, subjects, visits and staff are each
-- aggregated in one pass. The ORM would need a query per grid, and the maps ask for 10,000.
WITH targets AS (
    SELECT id, path, station_id FROM grids_grid WHERE id = ANY(%(ids)s)
), below AS (
    SELECT g.id AS grid_id, g.station_id, t.id AS target_id
    FROM grids_grid g
    CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from g.path), '/')) AS x(anc)
    JOIN targets t ON t.id = x.anc::bigint
    WHERE g.valid_to IS NULL
), addr AS (
    SELECT b.target_id, count(*) AS addresses, coalesce(sum(a.households), 0) AS households
    FROM addresses_address a JOIN below b ON b.grid_id = a.grid_id
    GROUP BY b.target_id
), last_visit AS (
    SELECT v.subject_id, max(v.date) AS last_date
    FROM subjects_visit v JOIN subjects_subject s ON s.id = v.subject_id JOIN below b ON b.grid_id = s.grid_id
    GROUP BY v.subject_id
), subj AS (
    SELECT b.target_id, s.category, count(*) AS n,
           count(*) FILTER (WHERE lv.last_date > %(today)s::date
                                  - coalesce((%(cadence)s::jsonb ->> s.category)::int, 90)) AS visited
    FROM subjects_subject s
    JOIN below b ON b.grid_id = s.grid_id
    LEFT JOIN last_visit lv ON lv.subject_id = s.id
    GROUP BY b.target_id, s.category
), staff AS (
    SELECT b.target_id, count(DISTINCT a.user_id) AS staff
    FROM staff_assignment a JOIN below b ON b.grid_id = a.grid_id
    WHERE a.active AND a.role = ANY(%(roles)s)
    GROUP BY b.target_id
), station AS (
    -- A grid is served by a station when it, a grid above it, or a grid below it has one.
    -- Joins, not correlated EXISTS over the `below` CTE: that was a scan per target (3 s at 10k).
    SELECT t.id AS target_id,
           (t.station_id IS NOT NULL OR up.has IS NOT NULL OR bs.target_id IS NOT NULL) AS has_station
    FROM targets t
    LEFT JOIN (SELECT DISTINCT target_id FROM below WHERE station_id IS NOT NULL) bs ON bs.target_id = t.id
    LEFT JOIN LATERAL (SELECT true AS has FROM grids_grid up
                       WHERE up.id = ANY(string_to_array(trim(both '/' from t.path), '/')::bigint[])
                         AND up.station_id IS NOT NULL LIMIT 1) up ON true
)
SELECT t.id, 'addr', NULL, a.addresses, a.households FROM targets t JOIN addr a ON a.target_id = t.id
UNION ALL
SELECT s.target_id, 'subj', s.category, s.n, s.visited FROM subj s
UNION ALL
SELECT s.target_id, 'staff', NULL, s.staff, 0 FROM staff s
UNION ALL
SELECT s.target_id, 'station', NULL, CASE WHEN s.has_station THEN 1 ELSE 0 END, 0 FROM station s
