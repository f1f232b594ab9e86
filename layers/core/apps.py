from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "layers.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models import ForeignObject, IntegerField

        from .lookups import AnyOf
        from .security import session_started

        # `<field>__any=[ids]` on integer columns and on foreign keys (their id column).
        IntegerField.register_lookup(AnyOf)
        ForeignObject.register_lookup(AnyOf)

        # The absolute session timeout counts from the login.
        user_logged_in.connect(session_started, dispatch_uid="geogrid_session_started")
