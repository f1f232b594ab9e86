from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit log. It sits just above core: every later layer writes to it, it imports none."""
    name = "layers.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from . import receivers  # noqa: F401  (logins, failures and lockouts come as signals)
