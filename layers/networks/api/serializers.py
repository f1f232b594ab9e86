"""Plain dicts out: a matter as the party side follows it."""
from django.utils import timezone

from layers.incidents.models import EventKind, Incident, Status


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def _brief(g) -> dict:
    return {"id": g.pk, "code": g.code, "name": g.name, "level": g.level}


def matter_summary(i: Incident) -> dict:
    """What both sides see of a matter the party grid raised: its origin, the administrative grid
    it was handed to, and its status (the outcome)."""
    return {
        "id": i.pk, "ref": i.ref, "status": i.status, "status_label": i.get_status_display(),
        "source": i.source, "description": i.description,
        "type": {"code": i.type.code, "name": str(i.type)},
        "origin": {"network": i.origin_grid.network, "network_label": i.origin_grid.get_network_display(),
                   "grid": _brief(i.origin_grid)},
        "handed_to": _brief(i.grid), "in_gap": i.in_gap,
        "lon": round(i.geometry.x, 7), "lat": round(i.geometry.y, 7),
        "reported_at": _iso(i.reported_at), "resolved_at": _iso(i.resolved_at), "closed_at": _iso(i.closed_at),
        "overdue": i.overdue,
    }


def matter_detail(i: Incident, events: list) -> dict:
    data = matter_summary(i)
    data["events"] = [{"kind": e["kind"], "kind_label": str(EventKind(e["kind"]).label) if e["kind"] in EventKind.values
                       else e["kind"], "at": _iso(e["at"]), "from": e["from_status"], "to": e["to_status"],
                       "to_label": str(Status(e["to_status"]).label) if e["to_status"] in Status.values else ""}
                      for e in events]
    return data
