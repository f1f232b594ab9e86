from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SRID = settings.GEOGRID_SRID


class Patrol(models.Model):
    """巡查: a member walks their grid. Kept whole (who, when, track, reports made); the track
    is personal data, read only through the scoped selectors."""
    member = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="patrols")
    # The grid patrolled: the member's own grid at the start (a patrol may stray over its edge).
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrols")
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Metres along the track on the spheroid, recomputed whenever points arrive.
    distance_m = models.FloatField(_("distance (m)"), default=0)
    track = models.LineStringField(_("track"), srid=SRID, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["grid", "started_at"]), models.Index(fields=["member", "ended_at"])]
        # One open patrol per member at a time.
        constraints = [models.UniqueConstraint(fields=["member"], condition=models.Q(ended_at__isnull=True),
                                               name="patrol_one_open_per_member")]

    def __str__(self):
        return f"{self.member} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def district_code(self) -> str:
        """The district of the patrolled grid: the partition its points live in."""
        from layers.core.partitions import district_code_of

        return district_code_of(self.grid.code)

    @property
    def duration_s(self) -> int | None:
        return int((self.ended_at - self.started_at).total_seconds()) if self.ended_at else None


class PatrolPoint(models.Model):
    """A recorded position with the phone's timestamp. The same instant twice is one point, so a
    replayed batch of points adds nothing (a unique index on (patrol, at) in each partition).

    Partitioned by district (layers/core/partitions.py): `district_code` is the patrol's grid's
    district, and every query names it so that PostgreSQL reads one partition, which may live on
    another cluster (postgres_fdw). No database key to the patrol: a foreign partition cannot
    carry one; the services write points only for a patrol they hold locked."""
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points", db_constraint=False)
    geometry = models.PointField(srid=SRID)
    at = models.DateTimeField()
    district_code = models.CharField(max_length=6, default="000000", editable=False)

    class Meta:
        ordering = ["at"]

    @classmethod
    def of(cls, patrol: "Patrol"):
        """The points of one patrol, read from its district's partition only."""
        return cls.objects.filter(district_code=patrol.district_code, patrol=patrol)


class PatrolReport(models.Model):
    """An incident reported during a patrol ("report what I see")."""
    patrol = models.ForeignKey(Patrol, on_delete=models.PROTECT, related_name="reports")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="patrol_report",
                                    db_constraint=False)
    created_at = models.DateTimeField(default=timezone.now)
