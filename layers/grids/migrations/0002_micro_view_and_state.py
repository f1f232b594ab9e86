from django.db import migrations

# One definition of "current micro-grid": a current base grid with no current base child. Every
# SQL file and the Python reads use this view (layers/grids/locate.py, assign_micro.sql, ...).
# It lists ids only, so a later change to other columns of grids_grid is not blocked by it.
#
# A token that changes whenever grids, their versions or stations change (any statement, any
# writer, rolled back with its transaction). The in-process locate index (layers/grids/locate.py)
# compares it on every lookup: one tiny read instead of the whole lookup query.
FORWARD = """
CREATE VIEW grids_micro AS
SELECT g.id FROM grids_grid g
WHERE g.valid_to IS NULL AND g.kind = 'base'
  AND NOT EXISTS (SELECT 1 FROM grids_grid c
                  WHERE c.parent_id = g.id AND c.valid_to IS NULL AND c.kind = 'base');

CREATE TABLE grids_gridstate (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    token uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO grids_gridstate DEFAULT VALUES;
CREATE FUNCTION grids_gridstate_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE grids_gridstate SET token = gen_random_uuid() WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER grids_gridstate_grid AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_grid
    FOR EACH STATEMENT EXECUTE FUNCTION grids_gridstate_bump();
CREATE TRIGGER grids_gridstate_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_gridversion
    FOR EACH STATEMENT EXECUTE FUNCTION grids_gridstate_bump();
CREATE TRIGGER grids_gridstate_station AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_station
    FOR EACH STATEMENT EXECUTE FUNCTION grids_gridstate_bump();
"""
REVERSE = """
DROP TRIGGER IF EXISTS grids_gridstate_grid ON grids_grid;
DROP TRIGGER IF EXISTS grids_gridstate_version ON grids_gridversion;
DROP TRIGGER IF EXISTS grids_gridstate_station ON grids_station;
DROP FUNCTION IF EXISTS grids_gridstate_bump();
DROP TABLE IF EXISTS grids_gridstate;
DROP VIEW IF EXISTS grids_micro;
"""


class Migration(migrations.Migration):

    dependencies = [("grids", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
