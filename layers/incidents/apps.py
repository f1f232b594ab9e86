from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "layers.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from layers.grids.hooks import on_boundaries_changed

        from .services import incident_reroute_open

        on_boundaries_changed(incident_reroute_open, stage="incidents")
