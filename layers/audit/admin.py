from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, and only for administrators: staff who may use the admin site for other
    models (or hold a Django permission on this one) still do not read the audit log."""
    list_display = ["at", "action", "username", "ip_address", "target", "target_id", "path"]
    list_filter = ["action"]
    search_fields = ["username", "target_id", "path"]
    date_hierarchy = "at"
    readonly_fields = [("target" if f.name == "target_type" else f.name) for f in AuditEvent._meta.fields]
    exclude = ["target_type"]

    @admin.display(description=gettext_lazy("target type"), ordering="target_type")
    def target(self, obj):
        """The kind of record acted on, by its Chinese name (stored as `app.Model`)."""
        try:
            return apps.get_model(obj.target_type)._meta.verbose_name
        except (LookupError, ValueError):
            return obj.target_type or "–"

    def _admin_only(self, request):
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return False
        # The administrator role lives in staff, a layer above this one: ask through the reverse
        # relation (staff.Assignment.user, related_name "assignments") instead of importing it.
        return user.is_superuser or user.assignments.filter(role="admin", active=True).exists()

    def has_module_permission(self, request):
        return self._admin_only(request)

    def has_view_permission(self, request, obj=None):
        return self._admin_only(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
