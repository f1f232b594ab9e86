"""Admin for subjects WITHOUT their sensitive fields: administrators are not field staff, and
the only way to see ethnicity, religion, ID number or phone is the logged reveal."""
from django.contrib import admin

from .models import RevealLog, Subject, Visit
from .services import SENSITIVE


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "category", "grid", "address"]
    list_filter = ["category", "kind"]
    search_fields = ["name"]
    exclude = list(SENSITIVE)
    readonly_fields = ["grid"]
    raw_id_fields = ["address"]

    def save_model(self, request, obj, form, change):
        obj.grid_id = obj.address.grid_id  # the grid always follows the address
        super().save_model(request, obj, form, change)


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["date", "subject", "staff", "kind"]
    list_filter = ["kind"]
    raw_id_fields = ["subject", "staff"]


@admin.register(RevealLog)
class RevealLogAdmin(admin.ModelAdmin):
    """The access log is evidence: read-only."""
    list_display = ["at", "user", "subject", "fields"]
    readonly_fields = ["at", "user", "subject", "fields"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
