"""Reads of subjects, visits and coverage. Everything about people is scoped by the acting
user's grid subtree (layers.staff.selectors.scope_q); outside it a record does not exist."""
import datetime as dt
import json

from django.conf import settings
from django.db import connection
from django.db.models import Max, QuerySet
from django.utils import timezone

from layers.grids.models import Grid, GridKind
from layers.staff.models import FIELD_ROLES
from layers.staff.selectors import (grid_list_in_scope, scope_q, scope_q_for_roles, user_sees_small_counts)

from .cadence import cadence_days
from .models import RevealLog, Subject, SubjectCategory, Visit
from .sqlfiles import sql

SMALL_COUNT = 10  # per-grid category counts 1..SMALL_COUNT-1 are coarsened above the grid head


def subject_list(*, user, grid_id: int | None = None, category: str | None = None,
                 q: str | None = None) -> QuerySet[Subject]:
    """Subjects in the user's scope, optionally in one grid's subtree, a category, a name search."""
    qs = Subject.objects.filter(scope_q(user=user, field="grid"))
    if grid_id is not None:
        grid = Grid.objects.filter(pk=grid_id).only("path").first()
        qs = qs.filter(grid__path__startswith=grid.path) if grid else qs.none()
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.select_related("address", "grid").order_by("id")


def subject_get(*, user, pk) -> Subject:
    """One subject in scope; Subject.DoesNotExist otherwise (the API answers 404)."""
    return subject_list(user=user).get(pk=pk)


def subject_can_reveal(*, user, subject: Subject) -> bool:
    """Sensitive values are for field staff (grid member, grid head, station chief) whose field
    assignment covers the subject; leaders and administrators see only masks."""
    return Subject.objects.filter(scope_q_for_roles(user=user, roles=FIELD_ROLES, field="grid"),
                                  pk=subject.pk).exists()


def address_for_field_staff(*, user, pk):
    """An address in a micro-grid where the user works as field staff, or None."""
    from layers.addresses.models import Address

    return Address.objects.filter(scope_q_for_roles(user=user, roles=FIELD_ROLES, field="grid"), pk=pk).first()


def reveal_log_list(*, subject: Subject | None = None) -> QuerySet[RevealLog]:
    qs = RevealLog.objects.select_related("user", "subject")
    return qs.filter(subject=subject) if subject is not None else qs


def visit_list(*, user, subject_id: int | None = None) -> QuerySet[Visit]:
    """Visits to subjects in the user's scope."""
    qs = Visit.objects.filter(scope_q(user=user, field="subject__grid")).select_related("subject", "staff")
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    return qs


def visit_due_list(*, user, grid_id: int | None = None, within_days: int = 14,
                   today: dt.date | None = None) -> list[dict]:
    """Subjects in scope whose next visit (last visit + cadence of their category) falls within
    `within_days` from today or has passed; overdue first, then by due date."""
    today = today or timezone.localdate()
    cadence = cadence_days()
    rows = (subject_list(user=user, grid_id=grid_id).annotate(last_visit=Max("visits__date"))
            .values("id", "name", "category", "grid_id", "grid__code", "grid__name", "created_at", "last_visit"))
    out = []
    for r in rows:
        days = cadence.get(r["category"], 90)
        # Never visited: due one cadence after the record was made.
        start = r["last_visit"] or timezone.localtime(r["created_at"]).date()
        due = start + dt.timedelta(days=days)
        if due > today + dt.timedelta(days=within_days):
            continue
        out.append({"subject_id": r["id"], "name": r["name"], "category": r["category"],
                    "grid_id": r["grid_id"], "grid_code": r["grid__code"], "grid_name": r["grid__name"],
                    "last_visit": r["last_visit"], "cadence_days": days, "due": due,
                    "overdue": due < today, "days_overdue": max((today - due).days, 0)})
    out.sort(key=lambda r: (not r["overdue"], r["due"], r["subject_id"]))
    return out


def _incident_counts(grid_ids: list[int]) -> dict[int, dict]:
    # The incidents layer is optional: coverage works without it.
    try:
        from layers.incidents.selectors import incident_counts_by_grid
    except ImportError:
        return {}
    return incident_counts_by_grid(grid_ids=grid_ids)


def _coarse(n: int, suppress: bool):
    return "<10" if suppress and 0 < n < SMALL_COUNT else n


def coverage_list(*, user, level: int, today: dt.date | None = None) -> list[dict]:
    """One row per current base grid of `level` in the user's scope: households, addresses,
    subjects (by category), staff, households per staff, share of subjects visited within
    cadence, open/overdue incidents and flags. Above the grid head's level, per-grid category
    counts from 1 to 9 are shown as "<10"."""
    today = today or timezone.localdate()
    grids = list(grid_list_in_scope(user=user).filter(level=level, kind=GridKind.BASE)
                 .order_by("code").values("id", "code", "name", "parent_id", "station_id"))
    if not grids:
        return []
    ids = [g["id"] for g in grids]
    figures = {i: {"addresses": 0, "households": 0, "staff": 0, "has_station": False, "cats": {}} for i in ids}
    with connection.cursor() as cur:
        cur.execute(sql("coverage"), {"ids": ids, "today": today, "cadence": json.dumps(cadence_days()),
                                      "roles": [str(r) for r in FIELD_ROLES]})
        for gid, what, category, a, b in cur.fetchall():
            f = figures[gid]
            if what == "addr":
                f["addresses"], f["households"] = a, int(b)
            elif what == "subj":
                f["cats"][category] = (a, b)
            elif what == "staff":
                f["staff"] = a
            elif what == "station":
                f["has_station"] = bool(a)
    incidents = _incident_counts(ids)
    suppress = not user_sees_small_counts(user=user)
    band = settings.GEOGRID_HOUSEHOLD_BAND.get(level)
    categories = list(SubjectCategory.values)
    rows = []
    for g in grids:
        f = figures[g["id"]]
        total = sum(n for n, _ in f["cats"].values())
        visited = sum(v for _, v in f["cats"].values())
        flags = []
        if f["staff"] == 0:
            flags.append("no_staff")
        if not f["has_station"]:
            flags.append("no_station")
        if band and f["households"] < band[0]:
            flags.append("households_below_band")
        if band and f["households"] > band[1]:
            flags.append("households_above_band")
        by_category = {c: _coarse(f["cats"].get(c, (0, 0))[0], suppress) for c in categories}
        shown_total = total
        if suppress and sum(1 for n, _ in f["cats"].values() if n) == 1:
            # With one category present the total IS that category's count: coarsen it too.
            shown_total = _coarse(total, suppress)
        inc = incidents.get(g["id"]) or {}
        rows.append({
            "grid_id": g["id"], "code": g["code"], "name": g["name"], "level": level,
            "parent_id": g["parent_id"],
            "households": f["households"], "addresses": f["addresses"], "subjects": shown_total,
            "subjects_by_category": by_category,
            "staff": f["staff"],
            "households_per_staff": round(f["households"] / f["staff"], 1) if f["staff"] else None,
            "visited_within_cadence": round(visited / total, 3) if total else None,
            "open_incidents": inc.get("open") if incidents else None,
            "overdue_incidents": inc.get("overdue") if incidents else None,
            "household_band": list(band) if band else None,
            "small_counts_suppressed": suppress,
            "flags": flags,
        })
    return rows


def _address_match(text: str) -> dict | None:
    """The best standard address for free text: {"id", "full_text", "grid_id"} or None."""
    try:
        from layers.addresses.selectors import address_search
    except ImportError:
        address_search = None
    if address_search is not None:
        try:
            hits = list(address_search(text=text, limit=1))
        except TypeError:
            hits = None
        if hits is not None:
            if not hits:
                return None
            h = hits[0]
            get = h.get if isinstance(h, dict) else (lambda k, d=None: getattr(h, k, d))
            grid = get("grid")
            grid_id = get("grid_id") or (grid.get("id") if isinstance(grid, dict) else getattr(grid, "pk", None))
            return {"id": get("id"), "full_text": get("full_text"), "grid_id": grid_id}
    with connection.cursor() as cur:
        cur.execute(sql("address_match"), {"q": text})
        row = cur.fetchone()
    return {"id": row[0], "full_text": row[1], "grid_id": row[2]} if row else None


def service_card_get(*, lon: float | None = None, lat: float | None = None, address: str | None = None) -> dict | None:
    """The public service card (亮牌) for a point or an address text: the micro-grid, its station
    and the staff who consented to be shown, with public fields only. A point in a coverage gap
    gets the card of the deepest base grid covering it, with `gap` set (layers/grids/locate.py).
    None when nothing matches."""
    from layers.grids.locate import locate
    from layers.grids.models import Station
    from layers.staff.selectors import staff_public_list

    matched, gap = None, False
    if address is not None:
        matched = _address_match(address)
        if matched is None or matched["grid_id"] is None:
            return None
        grid = Grid.objects.filter(pk=matched["grid_id"]).values("id", "code", "name", "station_id").first()
    else:
        located = locate(lon=lon, lat=lat)
        if located is None:
            return None
        gap = located.gap
        grid = Grid.objects.filter(pk=located.route["id"]).values("id", "code", "name", "station_id").first()
    if grid is None:
        return None
    station = None
    if grid["station_id"]:
        st = Station.objects.filter(pk=grid["station_id"]).first()
        station = {"name": st.name, "phone": st.phone, "address": st.address}
    card = {"grid": {"code": grid["code"], "name": grid["name"]}, "station": station,
            "staff": staff_public_list(grid_id=grid["id"])}
    if gap:
        card["gap"] = True
    if matched is not None:
        card["matched_address"] = matched["full_text"]
    return card
