from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField


class SubjectKind(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", _("organisation")


class SubjectCategory(models.TextChoices):
    """United-front work (统战对象) categories."""
    ETHNIC_MINORITY = "ethnic_minority", _("ethnic minority")
    RELIGIOUS_FIGURE = "religious_figure", _("religious figure")
    RETURNED_OVERSEAS = "returned_overseas", _("returned overseas Chinese or family")
    HK_MACAO_TAIWAN = "hk_macao_taiwan", _("Hong Kong, Macao or Taiwan compatriot")
    NON_PARTY_INTELLECTUAL = "non_party_intellectual", _("non-party intellectual")
    NEW_SOCIAL_STRATUM = "new_social_stratum", _("new social stratum")
    PRIVATE_ECONOMY = "private_economy", _("private-economy figure")
    OTHER = "other", _("other")


class Subject(models.Model):
    """A person or organisation a grid serves (对象). Its grid is its address's micro-grid,
    kept in step by the services and by the boundary-change hook.

    Field classes (public / internal / sensitive) live in classification.py; sensitive fields
    are encrypted at rest and shown in full only on a logged reveal. Partitioned by district
    (layers/core/partitions.py): no database keys to or from it, Django keeps them."""
    kind = models.CharField(_("kind"), max_length=20, choices=SubjectKind.choices, default=SubjectKind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=32, choices=SubjectCategory.choices)
    address = models.ForeignKey("addresses.Address", verbose_name=_("address"), on_delete=models.PROTECT,
                                related_name="subjects", db_constraint=False)
    grid = models.ForeignKey("grids.Grid", verbose_name=_("micro-grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="subjects", editable=False, db_constraint=False)
    # The district of the subject's grid (layers/core/partitions.py district_code_of), kept with the
    # grid by the services and regrid.sql: the partition the subject and its visits live in.
    district_code = models.CharField(max_length=6, default="000000", editable=False)
    needs = models.TextField(_("needs"), blank=True)
    contact = models.CharField(_("contact (non-sensitive)"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    ethnicity = EncryptedTextField(_("ethnicity"), blank=True, default="")
    religion = EncryptedTextField(_("religion"), blank=True, default="")
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["id"]
        indexes = [models.Index(fields=["grid", "category"])]

    def __str__(self):
        return self.name



class VisitKind(models.TextChoices):
    """Routine visits and the six must-visits (六必访)."""
    ROUTINE = "routine", _("routine")
    FAMILY_CONFLICT = "family_conflict", _("family conflict")
    ILLNESS = "illness", _("illness or hospitalisation")
    DEATH = "death", _("a death")
    HARDSHIP = "hardship", _("hardship")
    FESTIVAL = "festival", _("major festival")
    IMPORTANT_EVENT = "important_event", _("important event")


class Visit(models.Model):
    """A visit to a subject. Partitioned by district (layers/core/partitions.py): `district_code`
    is the subject's grid's district, and reads of one subject's visits name it (`Visit.of`), so
    PostgreSQL reads one partition, which may live on another cluster (postgres_fdw). A subject
    that moves to another district takes its visits along (regrid.sql). No database keys to the
    subject or the staff member: a foreign partition cannot carry them; Django keeps CASCADE and
    SET_NULL itself."""
    subject = models.ForeignKey(Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="visits",
                                db_constraint=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff"), null=True,
                              on_delete=models.SET_NULL, related_name="visits", db_constraint=False)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind.choices, default=VisitKind.ROUTINE)
    notes = models.TextField(_("notes"), blank=True)
    follow_up = models.TextField(_("follow-up needed"), blank=True)
    follow_up_done = models.BooleanField(_("follow-up done"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    district_code = models.CharField(max_length=6, default="000000", editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["subject", "-date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"

    @classmethod
    def of(cls, subject: "Subject"):
        """The visits of one subject, read from its district's partition only."""
        return cls.objects.filter(district_code=subject.district_code, subject=subject)


class RevealLog(models.Model):
    """Access log of sensitive values: who saw which fields of which subject, and when."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="reveals", db_constraint=False)
    fields = ArrayField(models.CharField(max_length=32))
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("reveal log entry")
        verbose_name_plural = _("reveal log")
        ordering = ["-at"]
