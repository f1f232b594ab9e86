from django.conf import settings
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
    ADMIN = "admin", _("administrator")


# Roles that work cases and people inside their grids (see sensitive fields in full on reveal).
FIELD_ROLES = {Role.GRID_MEMBER, Role.GRID_HEAD, Role.STATION_CHIEF}
LEADER_ROLES = {Role.COMMUNITY_LEADER, Role.STREET_LEADER, Role.DISTRICT_LEADER}


class Assignment(models.Model):
    """A user's role on a grid. The user's scope is each assigned grid and all below it."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="assignments")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role", "grid"], name="assignment_unique")]

    def __str__(self):
        return f"{self.user} {self.get_role_display()} {self.grid or ''}"
