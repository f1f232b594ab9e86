-- The rows one assignment run writes: per touched address the grid that now wins (with its edge
-- distance). The micro-grid join already drops the losers of a shared edge, so an address has
-- one row unless micro-grids overlap; DISTINCT ON keeps one deterministic row then. The join
-- keeps only rows whose grid or distance differs, or that were never confirmed against this
-- grid, so a re-run over unchanged grids writes almost nothing. `changes` also feeds the diff.
-- `part` splits the rows into `parts` runs of consecutive ids of equal length, one per writing
-- connection (assign_write.sql): equal shares whatever the pattern of ids, and each share
-- writes its pages in order.
INSERT INTO {changes} (id, old_grid, new_grid, edge_m, part)
SELECT id, old_grid, new_grid, edge_m, ntile(%(parts)s) OVER (ORDER BY id) - 1 FROM (
    SELECT DISTINCT ON (w.address_id) w.address_id AS id, w.old_grid, w.new_grid, w.edge_m
    FROM {work} w
    ORDER BY w.address_id, w.new_grid
) d
