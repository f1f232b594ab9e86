"""How often each category of subject is to be visited, in days. A project may override it
with a GEOGRID_VISIT_CADENCE_DAYS setting (a dict with some or all categories)."""
from django.conf import settings

from .models import SubjectCategory

DEFAULT_CADENCE_DAYS = {
    SubjectCategory.ETHNIC_MINORITY: 90,
    SubjectCategory.RELIGIOUS_FIGURE: 60,
    SubjectCategory.RETURNED_OVERSEAS: 90,
    SubjectCategory.HK_MACAO_TAIWAN: 90,
    SubjectCategory.NON_PARTY_INTELLECTUAL: 90,
    SubjectCategory.NEW_SOCIAL_STRATUM: 120,
    SubjectCategory.PRIVATE_ECONOMY: 120,
    SubjectCategory.OTHER: 180,
}


def cadence_days() -> dict[str, int]:
    """Category -> days between visits."""
    out = {str(k): v for k, v in DEFAULT_CADENCE_DAYS.items()}
    out.update({str(k): int(v) for k, v in getattr(settings, "GEOGRID_VISIT_CADENCE_DAYS", {}).items()})
    return out
