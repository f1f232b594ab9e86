from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from layers.grids.models import GridKind, GridUse

SRID = settings.GEOGRID_SRID


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    DISCARDED = "discarded", _("discarded")


class Plan(models.Model):
    """A draft of new base children for ONE parent grid. Planners never edit live grids
    directly: they edit a plan, validate it, preview its impact and publish it atomically."""
    parent = models.ForeignKey("grids.Grid", verbose_name=_("parent grid"), on_delete=models.PROTECT,
                               related_name="plans")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="plans")
    name = models.CharField(_("name"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # Level of the children this plan draws (the parent's current base children's level).
    level = models.PositiveSmallIntegerField(_("level"))
    # [[grid id, version], ...] of the parent's current base children when the plan was made:
    # publishing compares it with the live children, so two planners cannot both publish.
    base_fingerprint = models.JSONField(default=list, blank=True)
    # Number of edits applied (the undo/redo cursor into PlanEdit.seq).
    cursor = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-created_at"]

    def __str__(self):
        return f"#{self.pk} {self.parent_id} {self.status}"


class PlanGridOrigin(models.TextChoices):
    COPY = "copy", _("copied from the live grid")
    SPLIT = "split", _("split")
    MERGE = "merge", _("merge")
    DRAW = "draw", _("drawn")
    AUTO = "auto", _("auto-partition")


class PlanGrid(models.Model):
    """One child grid of a plan's draft. `source_grid` is the live grid it continues (its code
    is kept when published); null means a new grid, which gets a new code."""
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="grids")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=GridKind.choices, default=GridKind.BASE)
    use = models.CharField(_("use"), max_length=32, choices=GridUse.choices, blank=True, default="")
    geometry = models.MultiPolygonField(_("boundary"), srid=SRID)
    source_grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    origin = models.CharField(max_length=16, choices=PlanGridOrigin.choices, default=PlanGridOrigin.COPY)
    # Live grid ids this grid was derived from (split/merge), for the impact report.
    derived_from = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("plan grid")
        verbose_name_plural = _("plan grids")
        ordering = ["id"]


class PlanEdit(models.Model):
    """One undoable edit: the touched plan grids before and after (snapshots of their fields),
    so undo restores `before` and redo restores `after`."""
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="edits")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=32)
    before = models.JSONField(default=list)
    after = models.JSONField(default=list)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "seq"]
        constraints = [models.UniqueConstraint(fields=["plan", "seq"], name="plan_edit_seq_unique")]
