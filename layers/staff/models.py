from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLANNER = "planner", _("planner")
    GRID_MEMBER = "grid_member", _("grid member")
    GRID_HEAD = "grid_head", _("grid head")
    STATION_CHIEF = "station_chief", _("station chief")
    COMMUNITY_LEADER = "community_leader", _("community leader")
    STREET_LEADER = "street_leader", _("street leader")
    DISTRICT_LEADER = "district_leader", _("district leader")
    DEPARTMENT_HANDLER = "department_handler", _("department handler")
    # The party-building network (双网联动): they discover and discuss matters in their party grid
    # and hand them to the administrative grid; they hold no role over the base tiling.
    PARTY_GROUP_LEADER = "party_group_leader", _("party-group leader")
    BRANCH_SECRETARY = "branch_secretary", _("general-branch secretary")
    ADMIN = "admin", _("administrator")


# Roles that work cases and people inside their grids (see sensitive fields in full on reveal).
FIELD_ROLES = {Role.GRID_MEMBER, Role.GRID_HEAD, Role.STATION_CHIEF}
LEADER_ROLES = {Role.COMMUNITY_LEADER, Role.STREET_LEADER, Role.DISTRICT_LEADER}
# Roles held on grids of the party-building network, and only there.
PARTY_ROLES = {Role.PARTY_GROUP_LEADER, Role.BRANCH_SECRETARY}


class Duty(models.TextChoices):
    """The six duties of a grid member (六大员, Jifeng practice)."""
    OPINION_SURVEYOR = "opinion_surveyor", _("public-opinion surveyor")
    DISPUTE_MEDIATOR = "dispute_mediator", _("dispute mediator")
    CITY_ENFORCER = "city_enforcer", _("city-management enforcer")
    POLICY_PUBLICIST = "policy_publicist", _("policy publicist")
    SERVICE_PROVIDER = "service_provider", _("convenience-service provider")
    DEMOCRACY_SUPERVISOR = "democracy_supervisor", _("democratic-system supervisor")


class Assignment(models.Model):
    """A user's role on a grid. The user's scope is each assigned grid and all below it."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="assignments")
    active = models.BooleanField(_("active"), default=True)
    # Tags from Duty (六大员) a grid member carries; several members share a grid, each with some duties.
    duties = ArrayField(models.CharField(max_length=32, choices=Duty.choices), verbose_name=_("duties"),
                        default=list, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role", "grid"], name="assignment_unique")]

    def __str__(self):
        return f"{self.user} {self.get_role_display()} {self.grid or ''}"


class StaffProfile(models.Model):
    """What a staff member agreed to show residents on the public service card (亮牌承诺).
    Nothing here is public unless `show_publicly` is set: it is the recorded consent."""
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    display_name = models.CharField(_("display name"), max_length=50)
    photo = models.ImageField(_("photo"), upload_to="staff/", blank=True)
    public_phone = models.CharField(_("public phone"), max_length=40, blank=True)
    pledge = models.TextField(_("service pledge"), blank=True)
    show_publicly = models.BooleanField(_("shown on the public service card"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return self.display_name


class ApiToken(models.Model):
    """A personal API token for scripts and GIS clients (QGIS, GDAL). Only a SHA-256 of the token
    is stored: the token is random (32 bytes), so a fast hash is enough and a check costs one
    indexed lookup instead of a password hash. Shown once at creation; revoking keeps the row."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, so its owner can tell tokens apart in a list.
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} {self.prefix}… {self.name}"


class AssignmentChangeAction(models.TextChoices):
    MOVED = "moved", _("moved to the new grids")
    KEPT = "kept", _("kept on the changed grid")
    ENDED = "ended", _("ended")


class AssignmentChange(models.Model):
    """What a boundary change did to someone's assignment: the grid they served, what became of
    it and where they serve now. A person whose grid was retired reads here why and where."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.CASCADE,
                             related_name="assignment_changes")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    from_grid = models.ForeignKey("grids.Grid", verbose_name=_("former grid"), on_delete=models.PROTECT,
                                  related_name="+")
    to_grids = models.ManyToManyField("grids.Grid", verbose_name=_("new grids"), blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=AssignmentChangeAction.choices)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment change")
        verbose_name_plural = _("assignment changes")
        ordering = ["-at", "-id"]


class StaffingTask(models.Model):
    """A current grid left without a grid head: a task for the station chief above it, open
    until someone heads the grid again."""
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staffing task")
        verbose_name_plural = _("staffing tasks")
        constraints = [models.UniqueConstraint(fields=["grid"], condition=models.Q(done_at__isnull=True),
                                               name="staffing_task_one_open_per_grid")]
