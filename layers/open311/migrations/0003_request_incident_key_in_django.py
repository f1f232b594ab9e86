"""The key to the case moves to Django (db_constraint=False): cases are partitioned by district
(incidents/0008, which dropped the database key), and no key may point at a partitioned table
without a unique key. State only."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("open311", "0002_source_choices_party_grid"), ("incidents", "0008_incident_partitioned")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name="servicerequest", name="incident",
                                  field=models.OneToOneField(db_constraint=False, on_delete=models.deletion.PROTECT, related_name="open311_request", to="incidents.incident")),
        ]),
    ]
