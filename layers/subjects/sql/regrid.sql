-- After a boundary change: every subject takes its address's (re-assigned) micro-grid and that
-- grid's district, and a subject whose district changed moves to that district's partition and
-- takes its visits along (both tables are partitioned by district, layers/core/partitions.py).
-- Why SQL: an UPDATE ... FROM join; the ORM cannot set a field from a joined row. All
-- mismatches are fixed, not only those in the changed grids: one hash join, and it also
-- heals any drift left by earlier changes. The visits are looked at for moved subjects only.
-- Answers the number of subjects moved.
WITH moved AS (
    UPDATE subjects_subject s
    SET grid_id = a.grid_id, district_code = geogrid_district_code(g.code), updated_at = now()
    FROM addresses_address a LEFT JOIN grids_grid g ON g.id = a.grid_id
    WHERE a.id = s.address_id
      AND s.grid_id IS DISTINCT FROM a.grid_id
    RETURNING s.id, s.district_code
), visits AS (
    UPDATE subjects_visit v
    SET district_code = m.district_code
    FROM moved m
    WHERE v.subject_id = m.id AND v.district_code <> m.district_code
    RETURNING v.id
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM visits)
