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


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("export waiting")
    RUNNING = "running", _("exporting")
    DONE = "done", _("export ready")
    FAILED = "failed", _("export failed")


class ExportJob(models.Model):
    """A meeting export (PNG/PDF of a map page) made in the background: the page polls the job's
    progress (0-100) and downloads the file when done. The file is kept in the row (an export is a
    few hundred kB) so it is served only through the owner's download route, never as media."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE,
                             related_name="+")
    page = models.CharField(_("map page"), max_length=40)
    fmt = models.CharField(_("file format"), max_length=8)
    query = models.CharField(_("page parameters"), max_length=1000, blank=True)
    status = models.CharField(_("export status"), max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.CharField(_("export error"), max_length=500, blank=True)
    content = models.BinaryField(_("file content"), null=True, editable=False)
    size = models.PositiveIntegerField(_("file size (bytes)"), default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("map export")
        verbose_name_plural = _("map exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"{self.page}.{self.fmt} #{self.pk}"

    @property
    def filename(self) -> str:
        return f"{self.page}-{self.created_at:%Y%m%d-%H%M}.{self.fmt}"
