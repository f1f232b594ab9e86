"""Writes of the audit log. Every layer calls `audit_record`; nothing edits or deletes an event
except `audit_purge` once it is older than the retention period."""
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AuditEvent

# The law of the land for logs of access to personal information asks for at least six months.
MIN_KEEP_DAYS = 180


def _client_ip(request) -> str | None:
    if request is None:
        return None
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return ip or None


def audit_record(*, action: str, user=None, request=None, username: str = "", target=None,
                 target_type: str = "", target_id="", **detail) -> AuditEvent:
    """Record one event. `target` (a model instance) fills the type and id; `detail` is kept as JSON."""
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        user = candidate if candidate is not None and candidate.is_authenticated else None
    if user is not None and not getattr(user, "pk", None):
        user = None
    if target is not None:
        target_type = target_type or target._meta.label
        target_id = target_id or target.pk
    return AuditEvent.objects.create(
        action=action, user=user, username=(username or (user.get_username() if user else ""))[:150],
        ip_address=_client_ip(request), path=(request.get_full_path()[:500] if request is not None else ""),
        target_type=target_type[:100], target_id=str(target_id or "")[:64], detail=detail)


def keep_days() -> int:
    return max(MIN_KEEP_DAYS, int(getattr(settings, "GEOGRID_AUDIT_KEEP_DAYS", MIN_KEEP_DAYS)))


@transaction.atomic
def audit_purge(*, days: int | None = None, commit: bool = False, now: dt.datetime | None = None) -> int:
    """Delete events older than `days` (never fewer than 180); returns how many are (or would be) deleted."""
    days = max(MIN_KEEP_DAYS, days if days is not None else keep_days())
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    old = AuditEvent.objects.filter(at__lt=cutoff)
    n = old.count()
    if commit:
        old.delete()
    return n
