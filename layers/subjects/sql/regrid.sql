-- After a boundary change: every subject takes its address's (re-assigned) micro-grid.
-- Why SQL: an UPDATE ... FROM join; the ORM cannot set a field from a joined row. All
-- mismatches are fixed, not only those in the changed grids: one hash join, and it also
-- heals any drift left by earlier changes.
UPDATE subjects_subject s
SET grid_id = a.grid_id, updated_at = now()
FROM addresses_address a
WHERE a.id = s.address_id
  AND s.grid_id IS DISTINCT FROM a.grid_id
