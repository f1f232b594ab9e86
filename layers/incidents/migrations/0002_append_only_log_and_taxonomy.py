from django.db import migrations

# The case log is evidence (who did what, when): the database itself refuses to change or
# delete a row, so no code path, admin action or script can rewrite history.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION incidents_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'incidents_incidentevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_event_append_only
    BEFORE UPDATE OR DELETE ON incidents_incidentevent
    FOR EACH ROW EXECUTE FUNCTION incidents_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS incidents_event_append_only ON incidents_incidentevent;
DROP FUNCTION IF EXISTS incidents_event_append_only();
"""


def seed_taxonomy(apps, schema_editor):
    from layers.incidents.taxonomy import taxonomy_ensure

    taxonomy_ensure(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(APPEND_ONLY, DROP),
        migrations.RunPython(seed_taxonomy, migrations.RunPython.noop),
    ]
