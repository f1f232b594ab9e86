from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Assessment(models.Model):
    """A grid's monthly assessment (考核): the score and the figures behind it, kept month by
    month so a year's review reads stored values, not figures recomputed under later boundaries."""
    month = models.DateField(_("month"), help_text=_("first day of the month"))
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))
    score = models.FloatField(_("score"), null=True)
    rank = models.PositiveIntegerField(_("rank within level"), null=True)
    indicators = models.JSONField(_("indicators"), default=dict)
    weights = models.JSONField(_("weights"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("grid assessment")
        verbose_name_plural = _("grid assessments")
        constraints = [models.UniqueConstraint(fields=["month", "grid"], name="assessment_month_grid")]
        indexes = [models.Index(fields=["month", "level"])]


class StaffAssessment(models.Model):
    """A staff member's monthly assessment on one grid they serve (head or member)."""
    month = models.DateField(_("month"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.PROTECT,
                             related_name="+")
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32)
    score = models.FloatField(_("score"), null=True)
    indicators = models.JSONField(_("indicators"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("staff assessment")
        verbose_name_plural = _("staff assessments")
        constraints = [models.UniqueConstraint(fields=["month", "user", "grid", "role"],
                                               name="staff_assessment_unique")]
