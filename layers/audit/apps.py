from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit log. It sits just above core: every later layer writes to it, it imports none."""
    name = "layers.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from . import receivers  # noqa: F401  (logins, failures and lockouts come as signals)

        _axes_in_chinese()


def _axes_in_chinese():
    """django-axes (login lockouts) names its app "Axes" and its rows in English sentences, which
    the admin shows as titles: give both readable names (its field labels are translated in this
    app's catalogue)."""
    from django.apps import apps
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    apps.get_app_config("axes").verbose_name = _("Login lockouts")
    AccessAttempt.__str__ = lambda self: str(_("failed logins of %(user)s since %(time)s")
                                             % {"user": self.username, "time": f"{self.attempt_time:%Y-%m-%d %H:%M}"})
    AccessLog.__str__ = lambda self: str(_("login of %(user)s at %(time)s")
                                         % {"user": self.username, "time": f"{self.attempt_time:%Y-%m-%d %H:%M}"})
    AccessFailureLog.__str__ = lambda self: str(_("failed login of %(user)s at %(time)s")
                                                % {"user": self.username, "time": f"{self.attempt_time:%Y-%m-%d %H:%M}"})
