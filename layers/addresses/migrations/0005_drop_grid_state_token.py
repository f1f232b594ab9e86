from django.db import migrations

# The locate index moved to the grids layer with its own token (grids 0002): this one is unused.
FORWARD = """
DROP TRIGGER IF EXISTS addresses_gridstate_grid ON grids_grid;
DROP TRIGGER IF EXISTS addresses_gridstate_station ON grids_station;
DROP FUNCTION IF EXISTS addresses_gridstate_bump();
DROP TABLE IF EXISTS addresses_gridstate;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("addresses", "0004_grid_state_token"),
        ("grids", "0002_micro_view_and_state"),
    ]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
