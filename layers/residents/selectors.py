"""What a resident may read about their own report, by its tracking code: the status and the
public steps, never who on the staff did what."""
from django.utils import timezone

from layers.addresses.selectors import address_search
from layers.incidents.models import EventKind, IncidentEvent, Rating, Status

from .models import PublicReport
from .services import normalise_code

PUBLIC_EVENTS = (EventKind.CREATED, EventKind.TRANSITION, EventKind.ESCALATED, EventKind.RATED)


def public_report_get(*, code: str) -> PublicReport | None:
    return (PublicReport.objects.select_related("incident__type__parent", "incident__grid")
            .filter(code=normalise_code(code)).first())


def public_report_status(*, report: PublicReport) -> dict:
    i = report.incident
    steps = []
    for e in IncidentEvent.of(i).filter(kind__in=PUBLIC_EVENTS).order_by("at", "id"):
        label = Status(e.to_status).label if e.to_status in Status.values else EventKind(e.kind).label
        steps.append({"at": timezone.localtime(e.at).isoformat(), "kind": e.kind, "status": e.to_status or None,
                      "label": str(label)})
    rating = Rating.objects.filter(incident=i, rated_by__isnull=True).order_by("rated_at").first() \
        if report.rated_at else None
    return {
        "code": report.code, "status": i.status, "status_label": str(i.get_status_display()),
        "type": str(i.type), "grid": {"name": i.grid.name, "code": i.grid.code},
        "description": i.description, "reported_at": timezone.localtime(i.reported_at).isoformat(),
        "closed_at": timezone.localtime(i.closed_at).isoformat() if i.closed_at else None,
        "steps": steps,
        "can_rate": i.status == Status.CLOSED and report.rated_at is None,
        "rating": {"score": rating.score} if rating else None,
    }


def address_candidates(*, text: str, limit: int = 8) -> list[dict]:
    """Registry addresses for a resident's words, best first: id, text, score (0..1), micro-grid."""
    return [{"id": h["id"], "full_text": h["full_text"], "score": h["score"],
             "lon": round(h["lon"], 7), "lat": round(h["lat"], 7),
             "grid": {"code": h["grid"]["code"], "name": h["grid"]["name"]} if h.get("grid") else None}
            for h in address_search(text=text, limit=limit)]
