from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    """The pages of daily field work on a phone: the work queue, the incident page, reporting
    and visits. Above incidents, subjects and patrols, whose selectors and services it calls."""
    name = "layers.field"
    label = "field"
    verbose_name = _("Field work")
