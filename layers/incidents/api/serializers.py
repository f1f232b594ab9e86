"""Plain dicts out: the shapes are small and stable, and a dict is faster than a serializer."""
from django.urls import reverse
from django.utils import timezone

from ..models import Incident, IncidentEvent


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def incident_summary(i: Incident) -> dict:
    return {
        "id": i.pk, "ref": i.ref, "status": i.status, "status_label": i.get_status_display(),
        "incident_class": i.incident_class, "type": {"id": i.type_id, "code": i.type.code, "name": str(i.type)},
        "source": i.source, "description": i.description,
        "grid": {"id": i.grid_id, "code": i.grid.code, "name": i.grid.name},
        "lon": round(i.geometry.x, 7), "lat": round(i.geometry.y, 7),
        "reported_at": _iso(i.reported_at), "deadline": _iso(i.deadline), "overdue": i.overdue,
        "closed_at": _iso(i.closed_at), "escalation_level": i.escalation_level,
    }


def photo_urls(p) -> dict:
    """The scoped routes of a photo (never MEDIA_URL: incident photos are not public)."""
    url = reverse("incident-photo", args=[p.incident_id, p.pk])
    return {"url": url, "thumb_url": f"{url}?size=thumb"}


def incident_detail(i: Incident) -> dict:
    data = incident_summary(i)
    data.update({
        "source_crs": i.source_crs, "near_boundary": i.near_boundary, "in_gap": i.in_gap,
        "address": {"id": i.address_id, "full_text": i.address.full_text} if i.address_id else None,
        "special_grids": [{"id": g.pk, "code": g.code, "name": g.name, "kind": g.kind}
                          for g in i.special_grids.order_by("code")],
        "reporter": i.reporter.username if i.reporter_id else None,
        # Raised in another grid network (the party-building grid) and handed over to `grid`.
        "origin": ({"network": i.origin_grid.network, "network_label": i.origin_grid.get_network_display(),
                    "grid": {"id": i.origin_grid_id, "code": i.origin_grid.code, "name": i.origin_grid.name}}
                   if i.origin_grid_id else None),
        "accepted_at": _iso(i.accepted_at), "resolved_at": _iso(i.resolved_at),
        "photos": [photo_urls(p) | {"id": p.pk, "width": p.width, "height": p.height}
                   for p in i.photos.order_by("uploaded_at", "id")],
        "events": [{"kind": e.kind, "by": e.actor.username if e.actor_id else None, "role": e.role,
                    "at": _iso(e.at), "from": e.from_status, "to": e.to_status, "note": e.note, "data": e.data}
                   for e in IncidentEvent.of(i).select_related("actor").order_by("at", "id")],
        "escalations": [{"id": e.pk, "level": e.level, "level_label": e.get_level_display(),
                         "grid": {"id": e.grid_id, "code": e.grid.code, "name": e.grid.name} if e.grid_id else None,
                         "department": e.department.name if e.department_id else None,
                         "automatic": e.automatic, "escalated_at": _iso(e.escalated_at),
                         "acknowledged_at": _iso(e.acknowledged_at), "acted_at": _iso(e.acted_at),
                         "fed_back_at": _iso(e.fed_back_at), "feedback": e.feedback}
                        for e in i.escalations.select_related("grid", "department").order_by("escalated_at", "id")],
        "ratings": [{"score": r.score, "note": r.note, "at": _iso(r.rated_at)} for r in i.ratings.order_by("rated_at")],
    })
    return data
