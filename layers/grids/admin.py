"""Admin for grids, with a map widget that loads nothing from the internet. Changes go
through the grid services, so the admin obeys the same rules as every other path."""
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layers.core.errors import RuleViolation

from .geometry import to_multipolygon
from .models import NETWORK_CODE_PREFIX, Grid, GridNetwork, GridVersion, Station
from .services import grid_create, grid_problems, grid_update
from .widgets import OfflineOpenLayersWidget


class GridAdminForm(forms.ModelForm):
    class Meta:
        model = Grid
        fields = ["network", "parent", "level", "kind", "use", "name", "code", "station", "geometry", "valid_from"]
        widgets = {"geometry": OfflineOpenLayersWidget}  # vendored OpenLayers, never a CDN

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            # The default manager is the base network; a party grid's parent is a party grid.
            self.fields["parent"].queryset = Grid.all_networks.filter(valid_to__isnull=True).order_by("network", "code")
        if "code" in self.fields:
            # Below a community the services issue the next code under the parent (P... in the party network).
            self.fields["code"].required = False

    def clean(self):
        data = super().clean()
        if self.instance.pk:  # read-only on change: checked against the stored grid
            data.setdefault("parent", self.instance.parent)
            data.setdefault("network", self.instance.network)
        network = data.get("network") or GridNetwork.BASE
        parent = data.get("parent")
        if parent is not None and parent.network != network:
            self.add_error("parent", _("%(parent)s belongs to another grid network") % {"parent": parent})
            return data
        if not self.instance.pk:
            prefix = NETWORK_CODE_PREFIX.get(network, "")
            code = data.get("code") or ""
            if prefix and code and not code.startswith(prefix):
                self.add_error("code", _("%(label)s: a code of this network starts with %(prefix)s, not %(code)s")
                               % {"label": data.get("name") or "", "prefix": prefix, "code": code})
            if network != GridNetwork.BASE and (data.get("kind") or "base") != "base":
                self.add_error("kind", _("Special grids belong to the administrative network only"))
        # Check the tiling rules now, so a broken rule shows on the form, not as a server error.
        geom = data.get("geometry")
        if geom is not None:
            try:
                geom = to_multipolygon(geom, label=data.get("name") or "")
                exclude = [self.instance.pk] if self.instance.pk else []
                problems = grid_problems(parent=parent, kind=data.get("kind") or "base", geometry=geom,
                                         exclude_ids=exclude, label=data.get("name") or "", network=network)
            except RuleViolation as v:
                problems = [v]
            for p in problems:
                self.add_error("geometry", f"[{p.rule}] {p.messages[0]}")
        return data


class GridVersionInline(admin.TabularInline):
    """The grid's versions, read only; the columns are labelled here (the model's fields carry
    no verbose names of their own)."""
    model = GridVersion
    verbose_name = _("grid version")
    verbose_name_plural = _("grid versions")
    fields = ["version_no", "valid_from_day", "valid_to_day", "change_note", "changed_by_name"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("version"))
    def version_no(self, obj):
        return obj.version

    @admin.display(description=_("valid from"))
    def valid_from_day(self, obj):
        return obj.valid_from

    @admin.display(description=_("valid to"))
    def valid_to_day(self, obj):
        return obj.valid_to or "–"

    @admin.display(description=_("change note"))
    def change_note(self, obj):
        return obj.change or "–"

    @admin.display(description=_("changed by"))
    def changed_by_name(self, obj):
        return obj.changed_by.username if obj.changed_by_id else "–"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    form = GridAdminForm
    list_display = ["code", "name", "network", "level", "kind", "use", "station", "valid_from", "valid_to"]
    list_filter = ["network", "level", "kind", "use", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["code", "name"]
    readonly_fields = ["version_no"]

    @admin.display(description=_("version"))
    def version_no(self, obj):
        return obj.version if obj and obj.pk else "–"
    inlines = [GridVersionInline]

    def get_queryset(self, request):
        # Every network: the admin names each grid's network (the default manager is the base one).
        return Grid.all_networks.select_related("station")

    def has_delete_permission(self, request, obj=None):
        return False  # grids are retired, never deleted

    def get_readonly_fields(self, request, obj=None):
        # A grid's place in the hierarchy and its code are fixed once issued; moving or
        # renumbering grids is a planner's plan, not an admin edit.
        if obj is not None:
            return ["network", "parent", "level", "code", "valid_from", "version_no"]
        return ["version_no"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = grid_update(grid=obj, user=request.user, name=data["name"], kind=data["kind"], use=data["use"],
                                    station=data["station"],
                                    geometry=data["geometry"] if "geometry" in form.changed_data else None,
                                    note=str(_("edited in the admin")))
            else:
                saved = grid_create(parent=data["parent"], level=data["level"], name=data["name"],
                                    geometry=data["geometry"], kind=data["kind"], code=data["code"] or None,
                                    station=data["station"], use=data["use"], user=request.user,
                                    valid_from=data["valid_from"], network=data.get("network") or GridNetwork.BASE)
        except RuleViolation as v:
            # The form checked the rules; a concurrent change can still break one.
            raise forms.ValidationError(v.messages[0]) from v
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone"]
    search_fields = ["code", "name"]
