from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverviewConfig(AppConfig):
    name = "layers.overview"
    label = "overview"
    verbose_name = _("Overview and assessment")
