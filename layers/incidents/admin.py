from django.contrib.gis import admin
from django.utils.translation import gettext_lazy

from layers.staff.models import Role

from .models import Department, Incident, IncidentEvent, IncidentType, Status


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    """The taxonomy and its time limits are configuration: edited here."""
    list_display = ("code", "name", "parent", "accept_hours", "handle_hours", "department")
    list_filter = ("parent",)
    search_fields = ("code", "name")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "phone")
    filter_horizontal = ("handlers",)


class EventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    # Codes shown by their labels: the role and the statuses are stored as codes.
    fields = ("kind", "actor", "role_label", "at", "from_label", "to_label", "note", "event_data")
    readonly_fields = fields

    OTHER_ACTORS = {"resident": gettext_lazy("a resident"), "system": gettext_lazy("the system")}

    @admin.display(description=gettext_lazy("role"))
    def role_label(self, obj):
        if obj.role in Role.values:
            return Role(obj.role).label
        return self.OTHER_ACTORS.get(obj.role, obj.role or "–")

    @admin.display(description=gettext_lazy("from"))
    def from_label(self, obj):
        return Status(obj.from_status).label if obj.from_status in Status.values else (obj.from_status or "–")

    @admin.display(description=gettext_lazy("to"))
    def to_label(self, obj):
        return Status(obj.to_status).label if obj.to_status in Status.values else (obj.to_status or "–")

    @admin.display(description=gettext_lazy("event data"))
    def event_data(self, obj):
        return obj.data or "–"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.GISModelAdmin):
    """Read-only here: cases change through the workflow services, which keep the log."""
    list_display = ("ref", "status", "incident_class", "type", "grid", "reported_at", "deadline", "escalation_level")
    list_filter = ("status", "incident_class", "source", "escalation_level")
    search_fields = ("ref", "description")
    inlines = [EventInline]
    exclude = ("escalation_due",)
    readonly_fields = ("escalation_due_at",)

    @admin.display(description=gettext_lazy("escalation due"))
    def escalation_due_at(self, obj):
        return obj.escalation_due or "–"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
