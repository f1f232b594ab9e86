"""Logins, failed logins, logouts and lockouts arrive as signals from django.contrib.auth and
django-axes: that is the only place every login path (form, admin, basic auth) meets."""
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import Action
from .services import audit_record


def _http(request):
    # DRF passes its own Request; the audit wants the Django one.
    return getattr(request, "_request", request)


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, user=user, request=_http(request))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=Action.LOGOUT, user=user, request=_http(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_record(action=Action.LOGIN_FAILED, request=_http(request) if request is not None else None,
                 username=str((credentials or {}).get("username", ""))[:150])


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit_record(action=Action.LOCKOUT, request=_http(request) if request is not None else None,
                 username=str(username or "")[:150], ip=ip_address)
