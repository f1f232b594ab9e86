from django.contrib import admin

from .models import Assignment, StaffProfile


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "grid", "duties", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__last_name", "grid__code", "grid__name"]
    raw_id_fields = ["user", "grid"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "public_phone", "show_publicly"]
    list_filter = ["show_publicly"]
    search_fields = ["display_name", "user__username"]
    raw_id_fields = ["user"]
