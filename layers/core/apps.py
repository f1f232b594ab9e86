from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "layers.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .security import session_started

        # The absolute session timeout counts from the login.
        user_logged_in.connect(session_started, dispatch_uid="geogrid_session_started")
