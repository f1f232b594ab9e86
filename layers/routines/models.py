"""The grid's routines: station meetings (网格例会) with their agenda, attendance, minutes and
decisions. A decision is followed up until it is done: as a task (an owner and a deadline) or as
an incident taken in through the incidents intake. Ledgers (台账) are read, not stored: they are
figures of the layers below for a grid and a month (selectors.ledger_get)."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MeetingKind(models.TextChoices):
    MONTHLY = "monthly", _("monthly meeting")
    QUARTERLY = "quarterly", _("quarterly meeting")
    HALF_YEARLY = "half_yearly", _("half-year exchange")
    YEARLY = "yearly", _("yearly summary")
    AD_HOC = "ad_hoc", _("ad hoc meeting")


class Meeting(models.Model):
    """A meeting of the staff of a grid subtree (a station's grids, or one grid). The agenda is
    drafted when it is scheduled from the period it reviews (`period_start` .. `period_end`,
    end exclusive) and kept as drafted: the record shows what the meeting was given to discuss."""
    grid = models.ForeignKey("grids.Grid", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    date = models.DateField(_("meeting date"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until (exclusive)"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.JSONField(_("agenda"), default=list, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    held = models.BooleanField(_("held"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("scheduled by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["grid", "date"])]

    def __str__(self):
        return f"{self.grid} {self.get_kind_display()} {self.date}"


class Attendance(models.Model):
    """Who was expected and who came. A guest without an account keeps only a name."""
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=32, blank=True)
    present = models.BooleanField(_("present"), default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], condition=models.Q(user__isnull=False),
                                               name="attendance_once_per_user")]


class DecisionKind(models.TextChoices):
    RECORD = "record", _("decision")
    TASK = "task", _("task")
    INCIDENT = "incident", _("incident")


class Decision(models.Model):
    """What a meeting decided. Open until done: a task when its owner reports it done, an
    incident-decision when its incident is closed or rejected (read from the incident)."""
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))
    kind = models.CharField(_("kind"), max_length=16, choices=DecisionKind.choices, default=DecisionKind.RECORD)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    incident = models.OneToOneField("incidents.Incident", verbose_name=_("incident"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="meeting_decision",
                                    db_constraint=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["id"]
