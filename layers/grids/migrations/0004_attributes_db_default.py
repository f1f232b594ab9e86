from django.db import migrations


class Migration(migrations.Migration):
    """Rows written by raw SQL (the bench, bulk loaders) that do not name the column get {}."""

    dependencies = [("grids", "0003_source_attributes")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE grids_grid ALTER COLUMN attributes SET DEFAULT '{}'::jsonb;"
            "ALTER TABLE grids_gridversion ALTER COLUMN attributes SET DEFAULT '{}'::jsonb;",
            "ALTER TABLE grids_grid ALTER COLUMN attributes DROP DEFAULT;"
            "ALTER TABLE grids_gridversion ALTER COLUMN attributes DROP DEFAULT;"),
    ]
