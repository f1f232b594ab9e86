from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from .models import ApiToken, Assignment, Duty, StaffProfile
from .services import PHOTO_FORMATS, assignment_audit, staff_profile_photo_set, token_revoke


def _staff_name(user) -> str:
    profile = getattr(user, "staff_profile", None)
    name = profile.display_name if profile else user.get_full_name()
    return f"{name}（{user.username}）" if name and name != user.username else user.username


class AssignmentForm(forms.ModelForm):
    """Users and grids are picked by name or code (autocomplete), duties ticked from the six."""
    duties = forms.MultipleChoiceField(label=gettext_lazy("duties"), choices=Duty.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Assignment
        fields = ["user", "role", "grid", "duties", "active"]
        labels = {"user": gettext_lazy("staff member")}


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = ["staff_member", "role", "grid", "duty_labels", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__staff_profile__display_name",
                     "grid__code", "grid__name"]
    autocomplete_fields = ["user", "grid"]
    list_select_related = ["user", "user__staff_profile", "grid"]

    @admin.display(description=gettext_lazy("staff member"), ordering="user__username")
    def staff_member(self, obj):
        return _staff_name(obj.user)

    @admin.display(description=gettext_lazy("duties"))
    def duty_labels(self, obj):
        labels = dict(Duty.choices)
        return "、".join(str(labels.get(d, d)) for d in obj.duties) or "–"

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
    list_display = ["display_name", "account", "public_phone", "show_publicly"]
    list_filter = ["show_publicly"]
    search_fields = ["display_name", "user__username"]
    autocomplete_fields = ["user"]

    @admin.display(description=gettext_lazy("user account"), ordering="user__username")
    def account(self, obj):
        return obj.user.username

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["user"].label = gettext_lazy("user account")
        return form

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
    list_display = ["account", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["account", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash", "user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("user account"), ordering="user__username")
    def account(self, obj):
        return obj.user.username

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)


# --- users and groups: permissions named in Chinese ---------------------------------------------
# Django stores permission names in English ("Can add grid"); the pickers show them built from the
# translated model name instead.
_PERMISSION_ACTIONS = {"add": gettext_lazy("may add "), "change": gettext_lazy("may change "),
                       "delete": gettext_lazy("may delete "), "view": gettext_lazy("may view ")}


def _permission_label(perm) -> str:
    model = perm.content_type.model_class()
    action, _sep, _rest = perm.codename.partition("_")
    if model is None:
        return _(perm.name)
    app = apps.get_app_config(model._meta.app_label).verbose_name
    # A model without a verbose name of its own gets one from its class name, untranslated: look
    # that name up in the catalogue too.
    name = _(str(model._meta.verbose_name))
    what = (f"{_PERMISSION_ACTIONS[action]}{name}" if action in _PERMISSION_ACTIONS
            and perm.codename == f"{action}_{model._meta.model_name}" else _(perm.name))
    return f"{app} | {name} | {what}"


class _ChinesePermissions:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = _permission_label
        return field


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class GeogridUserAdmin(_ChinesePermissions, UserAdmin):
    pass


@admin.register(Group)
class GeogridGroupAdmin(_ChinesePermissions, GroupAdmin):
    pass
