"""Reads of subjects, visits and coverage. Everything about people is scoped by the acting
user's grid subtree (layers.staff.scope.scope_for); outside it a record does not exist."""
import datetime as dt
import json

import geopandas as gpd
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.sqlfiles import sql_loader
from layers.grids.frames import grid_frame, tolerance_for
from layers.grids.models import Grid, GridKind
from layers.incidents.selectors import incident_counts_by_grid, incident_counts_by_special_grid
from layers.staff.models import FIELD_ROLES
from layers.staff.scope import scope_for
from layers.staff.selectors import special_grid_list

from .cadence import cadence_days
from .hooks import coverage_figures
from .models import RevealLog, Subject, SubjectCategory, Visit

sql = sql_loader("subjects")

SMALL_COUNT = 10  # the width of the bands subject counts are shown in above the grid head
# Shares (visits within cadence) shown above the grid head are rounded to this step, so that a
# share such as 1/7 cannot give away the exact count behind a banded total.
SHARE_STEP = 0.1


def subject_list(*, user, grid_id: int | None = None, category: str | None = None,
                 q: str | None = None) -> QuerySet[Subject]:
    """Subjects in the user's scope, optionally in one grid's subtree, a category, a name search."""
    scope = scope_for(user)
    # The district filter adds no condition the grids do not (a subject's district is its grid's),
    # but lets PostgreSQL read only the scope's districts' partitions.
    qs = Subject.objects.filter(scope.q("grid"), scope.q_districts("district_code"))
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
    return Subject.objects.filter(scope_for(user).q("grid", roles=FIELD_ROLES),
                                  pk=subject.pk).exists()


def address_for_field_staff(*, user, pk):
    """An address in a micro-grid where the user works as field staff, or None."""
    from layers.addresses.models import Address

    scope = scope_for(user)
    return Address.objects.filter(scope.q("grid", roles=FIELD_ROLES), scope.q_districts(), pk=pk).first()


def reveal_log_list(*, user, subject_id: int | None = None) -> QuerySet[RevealLog]:
    """The access log of revealed fields: administrators see every entry, others their own."""
    qs = RevealLog.objects.select_related("user", "subject")
    if not scope_for(user).is_admin:
        qs = qs.filter(user=user) if user and user.is_authenticated else qs.none()
    return qs.filter(subject_id=subject_id) if subject_id is not None else qs


def visit_list(*, user, subject_id: int | None = None) -> QuerySet[Visit]:
    """Visits to subjects in the user's scope."""
    qs = Visit.objects.filter(scope_for(user).q("subject__grid")).select_related("subject", "staff")
    if subject_id is not None:
        # One subject's visits: from its district's partition only (Visit.of).
        subject = Subject.objects.only("id", "district_code").filter(pk=subject_id).first()
        if subject is None:
            return qs.none()
        qs = qs.filter(district_code=subject.district_code, subject_id=subject_id)
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


def coarse_count(n: int, suppress: bool = True):
    """A subject count as shown to a user who does not see small counts: 0 stays 0 (nobody to
    protect), 1..9 becomes "<10", and every larger count its band of ten ("10-19", "20-29", ...).

    Every subject count such a user sees is banded, not only the small ones: with exact figures
    beside a "<10" cell, subtraction (a row's total minus its exact categories, a parent's count
    minus its children's) gives the small count back; band minus bands only gives a range."""
    if not suppress or n == 0:
        return n
    if n < SMALL_COUNT:
        return f"<{SMALL_COUNT}"
    low = n // SMALL_COUNT * SMALL_COUNT
    return f"{low}-{low + SMALL_COUNT - 1}"


def coarse_share(part: int, whole: int, suppress: bool = True) -> float | None:
    """part / whole, rounded to SHARE_STEP for a user who does not see small counts (an exact
    share of a small total, 1/7 say, would name the total)."""
    if not whole:
        return None
    if not suppress:
        return round(part / whole, 3)
    steps = round(1 / SHARE_STEP)
    return round(int(part / whole * steps + 0.5) / steps, 3)


def coverage_list(*, user, level: int, today: dt.date | None = None) -> list[dict]:
    """One row per current base grid of `level` in the user's scope: households, addresses,
    subjects (by category), staff, households per staff, share of subjects visited within
    cadence, open/overdue incidents and flags. Above the grid head's level every subject count
    (total and per category) is shown in bands (coarse_count) and the visited share rounded
    (coarse_share), so no difference of figures recovers a small count."""
    today = today or timezone.localdate()
    grids = list(scope_for(user).grids().filter(level=level, kind=GridKind.BASE)
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
    incidents = incident_counts_by_grid(user=user, grid_ids=ids)
    # Figures later layers add (patrol hours and distance).
    extra = coverage_figures(grid_ids=ids)
    suppress = not scope_for(user).sees_small_counts
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
        by_category = {c: coarse_count(f["cats"].get(c, (0, 0))[0], suppress) for c in categories}
        inc = incidents.get(g["id"]) or {}
        rows.append({
            "grid_id": g["id"], "code": g["code"], "name": g["name"], "level": level,
            "parent_id": g["parent_id"],
            "households": f["households"], "addresses": f["addresses"], "subjects": coarse_count(total, suppress),
            "subjects_by_category": by_category,
            "staff": f["staff"],
            "households_per_staff": round(f["households"] / f["staff"], 1) if f["staff"] else None,
            "visited_within_cadence": coarse_share(visited, total, suppress),
            "open_incidents": inc.get("open") if incidents else None,
            "overdue_incidents": inc.get("overdue") if incidents else None,
            "household_band": list(band) if band else None,
            "small_counts_suppressed": suppress,
            "flags": flags,
            **extra.get(g["id"], {}),
        })
    return rows


def coverage_flag_labels() -> dict[str, str]:
    """Readable names of the coverage flags of coverage_list."""
    return {"no_staff": _("no staff"), "no_station": _("no grid station"),
            "households_below_band": _("households below the band"),
            "households_above_band": _("households above the band")}


def _coverage_map_rows(*, user, level: int) -> list[dict]:
    """coverage_list rows with the average rating added (from the incidents layer)."""
    rows = coverage_list(user=user, level=level)
    if rows:
        counts = incident_counts_by_grid(user=user, grid_ids=[r["grid_id"] for r in rows])
        for r in rows:
            c = counts.get(r["grid_id"], {})
            if r.get("open_incidents") is None:
                r["open_incidents"] = c.get("open")
            if r.get("overdue_incidents") is None:
                r["overdue_incidents"] = c.get("overdue")
            if r.get("average_rating") is None:
                r["average_rating"] = c.get("avg_rating")
    return rows


def coverage_map_rows(*, user, levels: list[int]) -> pd.DataFrame:
    """The coverage figures of the grids of `levels` in the user's scope, shaped for a map's
    colours and tooltips (no geometry): `id`, `level`, shares as percentages, flags as text."""
    frames = []
    for level in levels:
        rows = _coverage_map_rows(user=user, level=level)
        if not rows:
            continue
        figures = pd.DataFrame(rows).rename(columns={"grid_id": "id"})
        # Nested figures don't fit a tooltip cell.
        figures = figures.drop(columns=[c for c in ("parent_id", "parent", "subjects_by_category", "household_band")
                                        if c in figures.columns])
        if "visited_within_cadence" in figures:
            # A share (0..1) in the API; people read percentages on a map.
            figures["visited_within_cadence"] = (pd.to_numeric(figures["visited_within_cadence"], errors="coerce")
                                                 * 100).round(0)
        if "flags" in figures:
            labels = coverage_flag_labels()
            figures["flags"] = figures["flags"].map(
                lambda f: "、".join(str(labels.get(x, x)) for x in f) if f else "")
        frames.append(figures)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "code", "name", "level"])


def coverage_frame(*, user, levels: list[int], tolerance: float | None = None,
                   figures: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Grid polygons of the given levels in the user's scope joined with their coverage figures
    (coverage_map_rows, or `figures` already read from it), shaped for map tooltips."""
    if figures is None:
        figures = coverage_map_rows(user=user, levels=levels)
    if figures.empty:
        return grid_frame(ids=[])
    frames = []
    for level, part in figures.groupby("level", sort=True):
        # Geometry rows carry code, name and level already.
        part = part.drop(columns=["code", "name", "level"])
        geo = grid_frame(ids=list(part["id"]),
                         tolerance=tolerance if tolerance is not None else tolerance_for(len(part)))
        frames.append(geo.merge(part, on="id", how="left"))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)


def special_grid_figures(*, user, ids: list[int]) -> dict[int, dict]:
    """Per special grid: addresses and households inside (from the address link table) and
    subjects inside, all counted within the user's scope (subjects banded above the grid head),
    and geodesic area in m². Two queries."""
    if not ids:
        return {}
    scope = scope_for(user)
    with connection.cursor() as cur:
        cur.execute(sql("special_figures"), {"ids": [int(i) for i in ids], "everything": scope.is_admin,
                                             "patterns": [p + "%" for p in scope.paths]})
        out = {gid: {"addresses": int(a), "households": int(h), "area_m2": int(area)}
               for gid, a, h, area in cur.fetchall()}
    # Subjects at addresses inside each special grid, counted within the user's scope only (a
    # special grid may reach past the user's micro-grids).
    subjects = dict(Subject.objects.filter(scope_for(user).q("grid"), address__special_links__grid_id__in=ids)
                    .order_by().values_list("address__special_links__grid_id")
                    .annotate(n=Count("id", distinct=True)))
    # Above the grid head the subject count is banded like the coverage figures (coarse_count).
    suppress = not scope.sees_small_counts
    for gid, row in out.items():
        row["subjects"] = coarse_count(subjects.get(gid, 0), suppress)
    return out


def special_grid_frame(*, user) -> gpd.GeoDataFrame:
    """Special grids visible to the user (staff.selectors.special_grid_list) with their figures:
    addresses, households, area (m²), and subjects and incidents (received, open) within the
    user's scope."""
    gdf = grid_frame(special_grid_list(user=user))
    if gdf.empty:
        return gdf
    ids = [int(i) for i in gdf["id"]]
    figures = special_grid_figures(user=user, ids=ids)
    for col in ("addresses", "households", "subjects", "area_m2"):
        gdf[col] = [figures.get(i, {}).get(col) for i in ids]
    counts = incident_counts_by_special_grid(user=user, ids=ids)
    gdf["incidents"] = [counts.get(i, {}).get("received", 0) for i in ids]
    gdf["open_incidents"] = [counts.get(i, {}).get("open", 0) for i in ids]
    return gdf


def _address_match(text: str) -> dict | None:
    """The best standard address for free text: {"id", "full_text", "grid_id"} or None."""
    from layers.addresses.selectors import address_search

    hits = address_search(text=text, limit=1)
    if not hits:
        return None
    h = hits[0]
    return {"id": h["id"], "full_text": h["full_text"], "grid_id": h["grid"]["id"] if h["grid"] else None}


def service_card_candidates(*, address: str, limit: int = 6) -> list[dict]:
    """Registry addresses for a resident's words, best first, with their score (0..1) and
    micro-grid, so a vague address shows a choice instead of one arbitrary match."""
    from layers.addresses.selectors import address_search

    return [{"id": h["id"], "full_text": h["full_text"], "score": h["score"],
             "grid": {"code": h["grid"]["code"], "name": h["grid"]["name"]} if h.get("grid") else None}
            for h in address_search(text=address, limit=limit)]


def service_card_is_clear(candidates: list[dict]) -> bool:
    """One candidate, a near-exact one, a clear lead, or all in the same micro-grid (same card)."""
    if not candidates:
        return False
    top = candidates[0]
    if len(candidates) == 1 or top["score"] >= 0.95:
        return True
    if top["score"] - candidates[1]["score"] >= 0.15:
        return True
    grids = {(c["grid"] or {}).get("code") for c in candidates}
    return len(grids) == 1 and None not in grids


def service_card_get(*, lon: float | None = None, lat: float | None = None, address: str | None = None,
                     address_id: int | None = None) -> dict | None:
    """The public service card (亮牌) for a point or an address text: the micro-grid, its station
    and the staff who consented to be shown, with public fields only. A point in a coverage gap
    gets the card of the deepest base grid covering it, with `gap` set (layers/grids/locate.py).
    None when nothing matches."""
    from layers.grids.locate import locate
    from layers.grids.models import Station
    from layers.staff.selectors import staff_public_list

    matched, gap = None, False
    if address_id is not None:
        from layers.addresses.models import Address

        a = Address.objects.filter(pk=address_id).values("id", "full_text", "grid_id").first()
        if a is None or a["grid_id"] is None:
            return None
        matched = {"id": a["id"], "full_text": a["full_text"], "grid_id": a["grid_id"]}
        grid = Grid.objects.filter(pk=a["grid_id"]).values("id", "code", "name", "station_id").first()
    elif address is not None:
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
