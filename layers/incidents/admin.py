from django.contrib.gis import admin

from .models import Department, Incident, IncidentEvent, IncidentType


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
    readonly_fields = ("kind", "actor", "role", "at", "from_status", "to_status", "note", "data")

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

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
