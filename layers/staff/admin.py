from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from .models import ApiToken, Assignment, StaffProfile
from .services import PHOTO_FORMATS, assignment_audit, staff_profile_photo_set, token_revoke


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "grid", "duties", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__last_name", "grid__code", "grid__name"]
    raw_id_fields = ["user", "grid"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Grid.objects is the base network; party roles are held on party-building grids.
        if db_field.name == "grid":
            from layers.grids.models import Grid
            kwargs["queryset"] = Grid.all_networks.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Role changes made here are audited like those made through the services.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            assignment_audit(assignment=obj, by=request.user, request=request,
                             change="changed" if change else "created")

    def delete_model(self, request, obj):
        assignment_audit(assignment=obj, by=request.user, request=request, change="deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            assignment_audit(assignment=obj, by=request.user, request=request, change="deleted")
        super().delete_queryset(request, queryset)


class StaffProfileForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = "__all__"

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and "photo" in self.changed_data:
            try:
                with Image.open(photo) as img:
                    ok = img.format in PHOTO_FORMATS
            except Exception:
                ok = False
            photo.seek(0)
            if not ok:
                raise forms.ValidationError(_("A staff photo must be JPEG, PNG or WebP"))
        return photo


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    form = StaffProfileForm
    list_display = ["display_name", "user", "public_phone", "show_publicly"]
    list_filter = ["show_publicly"]
    search_fields = ["display_name", "user__username"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        previous = StaffProfile.objects.filter(pk=obj.pk).values_list("photo", flat=True).first() if obj.pk else ""
        super().save_model(request, obj, form, change)
        if "photo" in form.changed_data:
            if obj.photo:
                # The photo is public: store it re-encoded, without the EXIF (GPS, camera) of the upload.
                with obj.photo.open("rb") as f:
                    content = f.read()
                staff_profile_photo_set(profile=obj, content=content, name=f"profile-{obj.pk}")
            if previous and previous != obj.photo.name:
                obj.photo.storage.delete(previous)  # a replaced or cleared portrait is not kept


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Administrators see who holds which tokens and can revoke them; a token itself is never
    stored, so it cannot be shown or created here (owners create theirs at /api/tokens/)."""
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)
