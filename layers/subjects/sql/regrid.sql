-- After a boundary change: every subject takes its address's (re-assigned) micro-grid, and a
-- subject whose district changed takes its visits along to that district's partition
-- (subjects_visit is partitioned by district, layers/core/partitions.py).
-- Why SQL: an UPDATE ... FROM join; the ORM cannot set a field from a joined row. All
-- mismatches are fixed, not only those in the changed grids: one hash join, and it also
-- heals any drift left by earlier changes. The visits are looked at for moved subjects only.
-- Answers the number of subjects moved.
WITH moved AS (
    UPDATE subjects_subject s
    SET grid_id = a.grid_id, updated_at = now()
    FROM addresses_address a
    WHERE a.id = s.address_id
      AND s.grid_id IS DISTINCT FROM a.grid_id
    RETURNING s.id, s.grid_id
), districts AS (
    SELECT m.id, geogrid_district_code(g.code) AS code
    FROM moved m LEFT JOIN grids_grid g ON g.id = m.grid_id
), visits AS (
    UPDATE subjects_visit v
    SET district_code = d.code
    FROM districts d
    WHERE v.subject_id = d.id AND v.district_code <> d.code
    RETURNING v.id
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM visits)
