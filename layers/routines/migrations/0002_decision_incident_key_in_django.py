"""The key to the case moves to Django (db_constraint=False): cases are partitioned by district
(incidents/0008, which dropped the database key), and no key may point at a partitioned table
without a unique key. State only."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("routines", "0001_initial"), ("incidents", "0008_incident_partitioned")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name="decision", name="incident",
                                  field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=models.deletion.PROTECT, related_name="meeting_decision", to="incidents.incident", verbose_name="incident")),
        ]),
    ]
