from django.db import migrations


class Migration(migrations.Migration):
    """Rows written by raw SQL or COPY (the bench, bulk loaders) that do not name the column get ''."""

    dependencies = [("addresses", "0006_external_id")]

    operations = [
        migrations.RunSQL("ALTER TABLE addresses_address ALTER COLUMN external_id SET DEFAULT '';",
                          "ALTER TABLE addresses_address ALTER COLUMN external_id DROP DEFAULT;"),
    ]
