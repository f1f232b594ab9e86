from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOCKOUT = "lockout", _("lockout")
    LOGOUT = "logout", _("logout")
    REVEAL = "reveal", _("reveal of sensitive fields")
    EXPORT = "export", _("export")
    PUBLISH = "publish", _("plan publish")
    ROLE_CHANGE = "role_change", _("role change")
    TOKEN = "token", _("API token")


class AuditEvent(models.Model):
    """One thing that matters for accountability: who signed in (or failed to), who saw
    sensitive values, who took data out, who changed boundaries or roles. Kept at least
    GEOGRID_AUDIT_KEEP_DAYS (180) days; written once, never edited."""
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    # Kept as text too: the name tried in a failed login, and the name after the account is gone.
    username = models.CharField(_("username"), max_length=150, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    # What it was about, e.g. "subjects.Subject" and its id, or "plans.Plan" 12.
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["action", "at"], name="audit_action_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_action_display()} {self.username}"
