"""Writes of subjects and visits, the logged reveal of sensitive values, and the re-placement
of subjects after boundary changes."""
import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils.translation import gettext as _

from layers.audit.services import audit_record
from layers.core.errors import RuleViolation
from layers.core.partitions import district_code_of
from layers.core.sqlfiles import sql_loader

from .classification import sensitive_fields
from .models import RevealLog, Subject, Visit
from .selectors import subject_can_reveal

sql = sql_loader("subjects")

SENSITIVE = tuple(sensitive_fields("subjects.Subject"))
EDITABLE = ("kind", "name", "category", "needs", "contact", "notes", *SENSITIVE)


@transaction.atomic
def subject_create(*, address, name: str, category: str, **fields) -> Subject:
    """A subject at an address; its grid is the address's micro-grid."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise RuleViolation("unknown_field", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    subject = Subject(address=address, grid_id=address.grid_id, name=name, category=category, **fields,
                      district_code=district_code_of(address.grid.code if address.grid_id else None))
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def subject_reveal(*, user, subject: Subject, fields: list[str]) -> dict[str, str]:
    """The full values of the asked sensitive fields, written to the access log first.
    Only field staff whose scope covers the subject may reveal (PermissionDenied otherwise)."""
    if not isinstance(fields, (list, tuple)) or not fields:
        raise RuleViolation("reveal_fields", _("Name the fields to reveal: %(f)s") % {"f": ", ".join(SENSITIVE)})
    wrong = [f for f in fields if f not in SENSITIVE]
    if wrong:
        raise RuleViolation("reveal_fields", _("Not sensitive fields of a subject: %(f)s; choose from %(ok)s")
                            % {"f": ", ".join(map(str, wrong)), "ok": ", ".join(SENSITIVE)})
    if not subject_can_reveal(user=user, subject=subject):
        raise PermissionDenied(_("Only grid staff responsible for this subject may see sensitive values."))
    fields = sorted(set(fields), key=SENSITIVE.index)
    RevealLog.objects.create(user=user, subject=subject, fields=fields)
    audit_record(action="reveal", user=user, target=subject, fields=fields)
    return {f: getattr(subject, f) for f in fields}


@transaction.atomic
def visit_create(*, subject: Subject, staff, date: dt.date, kind: str = "routine", notes: str = "",
                 follow_up: str = "") -> Visit:
    visit = Visit(subject=subject, staff=staff, date=date, kind=kind, notes=notes, follow_up=follow_up,
                  district_code=subject.district_code)
    visit.full_clean()
    visit.save()
    return visit


def subjects_follow_addresses(*, grid_ids: list[int], area=None) -> int:
    """Boundary-change hook: each subject takes its address's micro-grid (the addresses layer's
    hook, registered before this one, has re-assigned the addresses). Returns rows changed."""
    with connection.cursor() as cur:
        cur.execute(sql("regrid"))
        subjects, _visits = cur.fetchone()
        return subjects
