from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "layers.patrols"
    label = "patrols"
    verbose_name = _("Patrols")

    def ready(self):
        # Lower layers know nothing of patrols: they offer hooks, and this layer plugs in.
        from layers.incidents.hooks import on_intake_link
        from layers.subjects.hooks import on_coverage_figures

        from .selectors import patrol_figures_by_grid
        from .services import patrol_report_link

        on_intake_link("patrol")(patrol_report_link)
        on_coverage_figures(patrol_figures_by_grid)
