from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.incidents.models import Source


class Client(models.Model):
    """A city system that exchanges service requests by Open311 GeoReport v2 (the 12345 hotline,
    the digital city-management platform). Each has its own api_key; only its SHA-256 is kept."""
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=8, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The intake source its requests are filed under (the hotline unless it declares another).
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.HOTLINE_12345)
    # A service account whose grid scope the client may read beyond the requests it posted.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("service account"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="open311_clients")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceRequest(models.Model):
    """A request a client posted: the incident it became and the token the client may poll."""
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="requests")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="open311_request",
                                    db_constraint=False)
    token = models.CharField(max_length=36, unique=True)
    address_string = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
