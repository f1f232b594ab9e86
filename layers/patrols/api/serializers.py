import re

from django.utils import timezone

from ..models import Patrol

_CJK = re.compile(r"[\u3400-\u9fff]")


def person_name(user) -> str:
    """Chinese names in Chinese order (surname first, no space); others as Django gives them."""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return user.get_full_name() or user.username


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def patrol_summary(p: Patrol) -> dict:
    return {"id": p.pk, "member": {"id": p.member_id, "name": person_name(p.member)},
            "grid": {"id": p.grid_id, "code": p.grid.code, "name": p.grid.name},
            "started_at": _iso(p.started_at),
            "started_label": timezone.localtime(p.started_at).strftime("%Y-%m-%d %H:%M"), "ended_at": _iso(p.ended_at), "open": p.ended_at is None,
            "duration_s": p.duration_s, "distance_m": round(p.distance_m, 1),
            "reports": getattr(p, "report_count", None)}


def patrol_feature(p: Patrol) -> dict:
    geometry = None
    if p.track is not None:
        geometry = {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in p.track.coords]}
    return {"type": "Feature", "id": p.pk, "geometry": geometry, "properties": patrol_summary(p)}
