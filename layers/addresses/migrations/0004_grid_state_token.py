from django.db import migrations

# A token that changes whenever grids or stations change (any statement, any writer, rolled back
# with its transaction). The in-process locate index (layers/addresses/locator.py) compares it
# on every lookup: one tiny read instead of the whole lookup query.
FORWARD = """
CREATE TABLE addresses_gridstate (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    token uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO addresses_gridstate DEFAULT VALUES;
CREATE FUNCTION addresses_gridstate_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE addresses_gridstate SET token = gen_random_uuid() WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER addresses_gridstate_grid AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_grid
    FOR EACH STATEMENT EXECUTE FUNCTION addresses_gridstate_bump();
CREATE TRIGGER addresses_gridstate_station AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_station
    FOR EACH STATEMENT EXECUTE FUNCTION addresses_gridstate_bump();
"""
REVERSE = """
DROP TRIGGER IF EXISTS addresses_gridstate_grid ON grids_grid;
DROP TRIGGER IF EXISTS addresses_gridstate_station ON grids_station;
DROP FUNCTION IF EXISTS addresses_gridstate_bump();
DROP TABLE IF EXISTS addresses_gridstate;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("addresses", "0003_drop_duplicate_grid_index"),
        ("grids", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
