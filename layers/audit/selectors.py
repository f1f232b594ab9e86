from django.db.models import QuerySet

from .models import AuditEvent


def audit_list(*, action: str | None = None, username: str | None = None) -> QuerySet[AuditEvent]:
    """Events, newest first (read by administrators only: the admin site enforces it)."""
    qs = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action=action)
    if username:
        qs = qs.filter(username=username)
    return qs
