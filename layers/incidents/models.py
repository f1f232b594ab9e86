from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SRID = settings.GEOGRID_SRID


class IncidentClass(models.TextChoices):
    """The four kinds of matter of the "five haves" practice."""
    GENERAL = "general", _("general matter")
    COORDINATION = "coordination", _("coordination matter")
    EMERGENCY = "emergency", _("emergency matter")
    APPROVAL = "approval", _("approval matter")


class Source(models.TextChoices):
    GRID_PATROL = "grid_patrol", _("grid patrol")
    RESIDENT = "resident", _("resident")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    DEPARTMENT = "department", _("department")
    # Discovered in the party-building grid and handed to the administrative grid (双网联动).
    PARTY_GRID = "party_grid", _("party-building grid")


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    ACCEPTED = "accepted", _("accepted (case filed)")
    DISPATCHED = "dispatched", _("dispatched")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    VERIFIED = "verified", _("verified")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    SHELVED = "shelved", _("shelved")
    REOPENED = "reopened", _("reopened")


# Statuses in which a deadline runs: the case waits for someone in the grid to act.
RUNNING_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED)
# Statuses that end a case; everything else counts as open.
FINAL_STATUSES = (Status.CLOSED, Status.REJECTED)


class EscalationLevel(models.IntegerChoices):
    """网格吹哨、部门报到: grid -> community -> street -> district platform -> a named department."""
    GRID = 0, _("grid")
    COMMUNITY = 1, _("community")
    STREET = 2, _("street")
    DISTRICT = 3, _("district platform")
    DEPARTMENT = 4, _("functional department")


class Department(models.Model):
    """A functional department that reports when the grid blows the whistle (部门报到)."""
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The department handlers who answer for this department: only they acknowledge, act on and
    # feed back a case escalated to it (incidents.selectors.escalation_may_respond).
    handlers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("handlers"), blank=True,
                                      related_name="handled_departments")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class IncidentType(models.Model):
    """A two-level taxonomy (category -> type). Time limits in hours; a type without its own
    limit takes its category's."""
    parent = models.ForeignKey("self", verbose_name=_("category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    accept_hours = models.PositiveIntegerField(_("hours to accept"), null=True, blank=True)
    handle_hours = models.PositiveIntegerField(_("hours to handle"), null=True, blank=True)
    # Where the whistle goes when the district platform cannot solve it.
    department = models.ForeignKey(Department, verbose_name=_("responsible department"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="incident_types")

    class Meta:
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")
        ordering = ["code"]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def limits(self) -> tuple[int, int]:
        """(accept_hours, handle_hours), falling back to the category, then 24 h / 7 days."""
        accept = self.accept_hours or (self.parent.accept_hours if self.parent_id else None) or 24
        handle = self.handle_hours or (self.parent.handle_hours if self.parent_id else None) or 168
        return accept, handle

    def responsible_department(self):
        return self.department or (self.parent.department if self.parent_id else None)


class Incident(models.Model):
    """事件 / 诉求: a matter reported at a point, routed to the micro-grid holding it."""
    ref = models.CharField(_("case number"), max_length=32, unique=True, null=True, blank=True)
    geometry = models.PointField(_("location"), srid=SRID)
    # The system the point came in (wgs84/cgcs2000/gcj02/bd09) before conversion at the edge.
    source_crs = models.CharField(_("source coordinate system"), max_length=10, default="wgs84")
    address = models.ForeignKey("addresses.Address", verbose_name=_("address"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="incidents", db_constraint=False)
    # The micro-grid at intake (or after a move / boundary change while the case was open).
    grid = models.ForeignKey("grids.Grid", verbose_name=_("micro-grid"), on_delete=models.PROTECT,
                             related_name="incidents", db_constraint=False)
    # The district of its grid (layers/core/partitions.py district_code_of): the partition the case
    # lives in. A move to another district's grid moves the row (_apply_location sets both).
    district_code = models.CharField(max_length=6, default="000000", editable=False)
    # The district the case was reported in, fixed for its life: its log lives in that district's
    # partition, so a later move never moves history (IncidentEvent.of).
    log_district = models.CharField(max_length=6, default="000000", editable=False)
    special_grids = models.ManyToManyField("grids.Grid", verbose_name=_("special grids"), blank=True,
                                           related_name="special_incidents", db_constraint=False)
    near_boundary = models.BooleanField(_("near a grid boundary"), default=False)
    # Reported in a coverage gap (no micro-grid holds the point): routed to the deepest base grid
    # covering it (layers/grids/locate.py).
    in_gap = models.BooleanField(_("in a coverage gap"), default=False)
    description = models.TextField(_("description"))
    incident_class = models.CharField(_("class"), max_length=16, choices=IncidentClass.choices,
                                      default=IncidentClass.GENERAL)
    type = models.ForeignKey(IncidentType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="incidents",
                             db_constraint=False)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.RESIDENT)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reporter"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_incidents", db_constraint=False)
    # Where the matter came from when another grid network raised it (source party_grid): the
    # party-building grid that discovered it. `grid` is still the administrative grid that handles it.
    origin_grid = models.ForeignKey("grids.Grid", verbose_name=_("raised in grid"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="originated_incidents", db_constraint=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The deadline of the current period: to accept while reported, to handle afterwards.
    # Kept when the case is resolved, so "resolved_at <= deadline" means on time.
    deadline = models.DateTimeField(_("deadline"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), choices=EscalationLevel.choices,
                                                        default=EscalationLevel.GRID)
    # When the next automatic escalation falls due. A run of incidents_escalate_overdue moves
    # it one period ahead, so a second run in the same period escalates nothing.
    escalation_due = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["grid", "status"]), models.Index(fields=["reported_at"]),
                   models.Index(fields=["deadline"]),
                   # A scope's newest-first page by its grid ids (Scope.q_grid_ids, rows_by_keys).
                   models.Index(fields=["grid", "-reported_at", "-id"], name="incidents_grid_newest")]

    def __str__(self):
        return f"{self.ref or self.pk} {self.description[:30]}"

    @property
    def overdue(self) -> bool:
        """Still waiting for action (a running status) after its deadline."""
        annotated = getattr(self, "is_overdue", None)
        if annotated is not None:
            return annotated
        return self.status in RUNNING_STATUSES and self.deadline is not None and self.deadline < timezone.now()


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    TRANSITION = "transition", _("status change")
    MOVED = "moved", _("moved")
    REROUTED = "rerouted", _("re-routed after a boundary change")
    ESCALATED = "escalated", _("escalated")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ACTED = "acted", _("acted")
    FED_BACK = "fed_back", _("fed back")
    RATED = "rated", _("rated")


class IncidentEvent(models.Model):
    """The append-only history of a case: who (and in which role) did what, when.
    A database trigger refuses UPDATE and DELETE on this table. Partitioned by the case's district
    (layers/core/partitions.py): no database keys to the case or the actor, Django keeps them;
    read one case's log with `IncidentEvent.of(incident)`."""
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events", db_constraint=False)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", db_constraint=False)
    role = models.CharField(_("role"), max_length=32, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    district_code = models.CharField(max_length=6, default="000000", editable=False)

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    @classmethod
    def of(cls, incident: Incident):
        """The log of one case, read from its district's partition only."""
        return cls.objects.filter(district_code=incident.log_district, incident=incident)


class Escalation(models.Model):
    """One step up the whistle path. The level it reached must acknowledge, act and feed back."""
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="escalations", db_constraint=False)
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid of that level"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="escalations")
    automatic = models.BooleanField(_("automatic (overdue)"), default=False)
    escalated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    escalated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    fed_back_at = models.DateTimeField(null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        ordering = ["escalated_at", "id"]


class Rating(models.Model):
    """一事一评: the reporter or a resident rates the handling once the case is resolved."""
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="ratings", db_constraint=False)
    score = models.PositiveSmallIntegerField(_("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    note = models.TextField(_("note"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "rated_by"], name="rating_once_per_user")]


class Photo(models.Model):
    """A photo of the scene, re-encoded at upload so no EXIF (GPS, camera, owner) survives."""
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos", db_constraint=False)
    file = models.FileField(upload_to="incidents/photos/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)


class IntakeKey(models.Model):
    """An Idempotency-Key seen at intake, with the hash of the body it came with: a replay
    returns the incident it made; the same key with another body is refused."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="intake_key_unique")]
