"""Django's PostGIS backend, with one difference: a table partitioned by district
(layers/core/partitions.py PARTITIONED) has no primary key, so PostgreSQL cannot tell that the id
determines the other columns of a row. Django's PostgreSQL backend groups an aggregate query by the
id alone where the table has one; for these tables it must group by every selected column, as it
does for a table it does not manage."""
from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.contrib.gis.db.backends.postgis.features import DatabaseFeatures as PostGISDatabaseFeatures

from layers.core.partitions import PARTITIONED


class DatabaseFeatures(PostGISDatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model):
        return model._meta.db_table not in PARTITIONED and super().allows_group_by_selected_pks_on_model(model)


class DatabaseWrapper(PostGISDatabaseWrapper):
    features_class = DatabaseFeatures
