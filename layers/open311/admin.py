from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Client
from .services import client_rotate_key, key_hash


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    """Each city system gets its own api_key, shown once when the client is added or its key renewed."""
    list_display = ("name", "source", "user", "key_prefix", "active", "created_at")
    readonly_fields = ("key_prefix",)
    actions = ["rotate_key"]

    def save_model(self, request, obj, form, change):
        if not change:
            import secrets
            key = secrets.token_urlsafe(32)
            obj.key_prefix, obj.key_hash = key[:8], key_hash(key)
            super().save_model(request, obj, form, change)
            messages.warning(request, _("api_key of %(name)s (shown once): %(key)s") % {"name": obj.name, "key": key})
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Renew the api_key"))
    def rotate_key(self, request, queryset):
        for client in queryset:
            key = client_rotate_key(client=client)
            messages.warning(request, _("api_key of %(name)s (shown once): %(key)s") % {"name": client.name, "key": key})
