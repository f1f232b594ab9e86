from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    GRIDS = "grids", _("boundary file (grids)")
    ADDRESSES = "addresses", _("address registry")


class ImportJob(models.Model):
    """One uploaded file on its way in: previewed, dry-run, then (only if the planner says so)
    committed. The run happens in a worker thread; `done`/`total` are its progress, read by the
    page, so a large file shows how far it got. Nothing reaches grids or addresses before a
    commit run."""
    STATUS = [("uploaded", _("uploaded")), ("running", _("running")), ("checked", _("dry run done")),
              ("committed", _("committed")), ("failed", _("failed"))]
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    options = models.JSONField(default=dict, blank=True)      # crs, encoding, level, parent, snap_m, ...
    preview = models.JSONField(default=dict, blank=True)      # encoding, CRS, column mapping, first rows
    status = models.CharField(max_length=16, choices=STATUS, default="uploaded")
    step = models.CharField(max_length=32, blank=True, default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    run_mode = models.CharField(max_length=8, blank=True, default="")   # "dry" or "commit"
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
