"""Resident reports (no login): intake with a tracking code, a rate limit per sender, and one
rating once the case is closed. They land in the incidents intake with source `resident`."""
import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.incidents.models import Source, Status
from layers.incidents.services import incident_create, rating_create

from .models import PublicReport

# No 0/O, 1/I/L: codes are read out over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31^12 ~ 2^59 codes


class RateLimited(RuleViolation):
    """Too many reports from one sender in the window: a 429."""


class NotYet(RuleViolation):
    """The case's state forbids the request (not closed, already rated): a 409."""


def client_key(remote_addr: str) -> str:
    """A salted hash of the sender's address: enough to count, useless to identify."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|public-report|{remote_addr}".encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())[:32]


@transaction.atomic
def public_report_create(*, client: str, description: str, type, lon=None, lat=None, crs: str = "wgs84",
                         address=None, photos=()) -> PublicReport:
    """Take in a resident's report at a point or a registry address; refuse past the limit of
    GEOGRID_PUBLIC_REPORTS_PER_HOUR reports per sender."""
    # Serialise the count and the insert per sender, so parallel requests cannot pass the limit.
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [client])
    limit = getattr(settings, "GEOGRID_PUBLIC_REPORTS_PER_HOUR", 5)
    since = timezone.now() - dt.timedelta(hours=1)
    if PublicReport.objects.filter(client=client, created_at__gte=since).count() >= limit:
        raise RateLimited("rate_limited", _("Too many reports from this connection; please try again in an hour "
                                            "or call 12345"))
    if len((description or "").strip()) > 2000:
        raise RuleViolation("description_long", _("Please keep the description under 2000 characters"))
    incident = incident_create(user=None, lon=lon, lat=lat, crs=crs, address=address, description=description,
                               type=type, source=Source.RESIDENT, photos=photos)
    for _attempt in range(5):
        code = new_code()
        if not PublicReport.objects.filter(code=code).exists():
            break
    report = PublicReport(incident=incident, code=code, client=client, created_at=timezone.now())
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def public_report_rate(*, code: str, score, note: str = "") -> PublicReport:
    """One rating per report, once the case is closed (a second is refused)."""
    report = (PublicReport.objects.select_for_update().select_related("incident")
              .filter(code=normalise_code(code)).first())
    if report is None:
        raise PublicReport.DoesNotExist
    if report.rated_at is not None:
        raise NotYet("rating_twice", _("This report has already been rated"))
    if report.incident.status != Status.CLOSED:
        raise NotYet("rating_too_early", _("You can rate the handling once the case is closed; it is now %(status)s")
                     % {"status": report.incident.get_status_display()})
    if len((note or "").strip()) > 1000:
        raise RuleViolation("note_long", _("Please keep the note under 1000 characters"))
    rating_create(incident=report.incident, user=None, score=score, note=note)
    report.rated_at = timezone.now()
    report.save(update_fields=["rated_at"])
    return report
