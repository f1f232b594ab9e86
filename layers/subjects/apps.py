from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubjectsConfig(AppConfig):
    name = "layers.subjects"
    label = "subjects"
    verbose_name = _("Subjects")

    def ready(self):
        # The "subjects" stage runs after "addresses" (layers/grids/hooks.py STAGES), so
        # addresses are re-assigned first and subjects then follow their address.
        from layers.grids.hooks import on_boundaries_changed

        from .services import subjects_follow_addresses

        on_boundaries_changed(subjects_follow_addresses, stage="subjects")
