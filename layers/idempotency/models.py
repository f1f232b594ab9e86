from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """A write done under an Idempotency-Key: the hash of what was asked and the answer given.
    A replay (the phone lost the answer and sends again) gets the stored answer instead of a
    second write; the same key with another body is refused. `route` names the kind of write
    (e.g. "visit", "transition:12"), so one key cannot replay another route's answer."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    route = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "route", "key"], name="idempotency_unique")]
