from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublicReport(models.Model):
    """A resident's report made without an account. The tracking code is the resident's only
    key to it: random, not derived from the case number, so it cannot be guessed or counted.
    `client` is a salted hash of the sender's address, kept only to limit the rate."""
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="public_report",
                                    db_constraint=False)
    code = models.CharField(_("tracking code"), max_length=16, unique=True)
    client = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # 评议: a resident rates a closed case once.
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("resident report")
        verbose_name_plural = _("resident reports")
