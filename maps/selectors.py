"""Reads for the map pages: grids as GeoDataFrames (GeoJSON built in SQL), coverage figures
and incidents. The builders in maps/ stay free of the database; the views call these.

The coverage figures and incident reads belong to the subjects and incidents layers; these
functions shape them for the maps.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.grids.models import Grid, GridKind
from layers.incidents.models import FINAL_STATUSES
from layers.incidents.selectors import incident_counts_by_grid, incident_list
from layers.subjects.selectors import coverage_list
from layers.grids.selectors import grid_leaf_base_ids
from layers.staff.scope import scope_for
from layers.staff.selectors import grid_list_in_scope

# Degrees; ~1 m at Shanghai. Enough to drop digitising noise at street zoom, not to move edges.
DEFAULT_TOLERANCE = 0.00001


@cache
def _sql(name: str) -> str:
    return (Path(__file__).parent / "sql" / f"{name}.sql").read_text(encoding="utf-8")


GRID_COLUMNS = ["id", "code", "name", "level", "kind", "use", "parent", "version"]


def grid_frame(qs: QuerySet[Grid] | None = None, *, ids: list[int] | None = None,
               tolerance: float = 0.0) -> gpd.GeoDataFrame:
    """The grids of `qs` (or with these `ids`) as a GeoDataFrame (id, code, name, level, kind,
    use, parent, version, geometry), simplified by `tolerance` degrees (0 keeps every vertex)."""
    if ids is None:
        ids = list(qs.values_list("pk", flat=True)) if qs is not None else []
    rows = []
    if ids:
        with connection.cursor() as cur:
            cur.execute(_sql("grid_shapes"), {"ids": [int(i) for i in ids], "tolerance": tolerance})
            rows = cur.fetchall()
    crs = f"EPSG:{settings.GEOGRID_SRID}"
    if not rows:
        return gpd.GeoDataFrame(columns=[*GRID_COLUMNS, "geometry"], geometry="geometry", crs=crs)
    frame = pd.DataFrame([r[:-1] for r in rows], columns=GRID_COLUMNS)
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)


def tolerance_for(n: int) -> float:
    """Simplification for a map of n grids: ~1 m for a street, ~5 m for a district-wide view."""
    return DEFAULT_TOLERANCE if n <= 2000 else 0.00005


def scope_levels(*, user) -> list[int]:
    """Levels of base grids under the user's own grids that a coverage map can show (3 and below)."""
    qs = grid_list_in_scope(user=user).filter(kind=GridKind.BASE, level__gte=3)
    return sorted(qs.order_by().values_list("level", flat=True).distinct())


def coverage_rows(*, user, level: int) -> list[dict]:
    """Coverage figures per grid of `level` in the user's scope."""
    rows = coverage_list(user=user, level=level)
    # coverage_list carries open and overdue incidents; the average rating comes from incidents.
    missing = rows and ("average_rating" not in rows[0] or any(r.get("open_incidents") is None for r in rows))
    if missing:
        ids = [r["grid_id"] for r in rows]
        counts = incident_counts_by_grid(grid_ids=ids)
        for r in rows:
            c = counts.get(r["grid_id"], {})
            if r.get("open_incidents") is None:
                r["open_incidents"] = c.get("open")
            if r.get("overdue_incidents") is None:
                r["overdue_incidents"] = c.get("overdue")
            if r.get("average_rating") is None:
                r["average_rating"] = c.get("avg_rating")
    return rows


def coverage_flag_labels() -> dict[str, str]:
    """Readable names of the coverage flags of subjects.selectors.coverage_list."""
    return {"no_staff": _("no staff"), "no_station": _("no grid station"),
            "households_below_band": _("households below the band"),
            "households_above_band": _("households above the band")}


def coverage_frame(*, user, levels: list[int], tolerance: float | None = None) -> gpd.GeoDataFrame:
    """Grid polygons of the given levels in the user's scope joined with their coverage figures."""
    frames = []
    for level in levels:
        rows = coverage_rows(user=user, level=level)
        if not rows:
            continue
        figures = pd.DataFrame(rows).rename(columns={"grid_id": "id"})
        # Geometry rows carry code, name and level already; nested figures don't fit a tooltip cell.
        figures = figures.drop(columns=[c for c in ("code", "name", "level", "parent_id", "parent",
                                                    "subjects_by_category", "household_band")
                                        if c in figures.columns])
        if "visited_within_cadence" in figures:
            # A share (0..1) in the API; people read percentages on a map.
            figures["visited_within_cadence"] = (pd.to_numeric(figures["visited_within_cadence"], errors="coerce")
                                                 * 100).round(0)
        if "flags" in figures:
            labels = coverage_flag_labels()
            figures["flags"] = figures["flags"].map(
                lambda f: "、".join(str(labels.get(x, x)) for x in f) if f else "")
        geo = grid_frame(ids=list(figures["id"]),
                         tolerance=tolerance if tolerance is not None else tolerance_for(len(figures)))
        frames.append(geo.merge(figures, on="id", how="left"))
    if not frames:
        return grid_frame(Grid.objects.none())
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                            crs=frames[0].crs)


def outline_frame(*, user, level: int) -> gpd.GeoDataFrame:
    """The base grids one level above `level` in the user's scope (boundaries drawn on top)."""
    qs = grid_list_in_scope(user=user).filter(kind=GridKind.BASE, level=level - 1)
    return grid_frame(qs, tolerance=DEFAULT_TOLERANCE)


def micro_grid_frame(*, user) -> gpd.GeoDataFrame:
    """The micro-grids (leaf base grids) in the user's scope."""
    scoped = grid_list_in_scope(user=user).filter(pk__in=grid_leaf_base_ids())
    return grid_frame(scoped, tolerance=DEFAULT_TOLERANCE)


def _special_subject_counts(*, user, ids: list[int]) -> dict[int, int]:
    """Subjects at addresses inside each special grid, counted within the user's scope only
    (a special grid may reach past the user's micro-grids)."""
    from django.db.models import Count

    from layers.subjects.models import Subject

    from layers.staff.selectors import scope_q
    qs = (Subject.objects.filter(scope_q(user=user, field="grid"), address__special_links__grid_id__in=ids)
          .order_by().values_list("address__special_links__grid_id").annotate(n=Count("id", distinct=True)))
    return dict(qs)


def special_figures(*, user, ids: list[int]) -> dict[int, dict]:
    """Per special grid: addresses and households inside (from the address link table) and
    subjects inside, all counted within the user's scope, and geodesic area in m². Two queries."""
    if not ids:
        return {}
    with connection.cursor() as cur:
        scope = scope_for(user)
        cur.execute(_sql("special_figures"), {"ids": [int(i) for i in ids], "everything": scope.is_admin,
                                              "patterns": [p + "%" for p in scope.paths]})
        out = {gid: {"addresses": int(a), "households": int(h), "area_m2": int(area)}
               for gid, a, h, area in cur.fetchall()}
    subjects = _special_subject_counts(user=user, ids=ids)
    for gid, row in out.items():
        row["subjects"] = subjects.get(gid, 0)
    return out


def special_grid_list(*, user) -> QuerySet[Grid]:
    """Current special grids under the user's grids, or overlapping them: a grid head whose
    micro-grid lies in a business district sees that district too (its figures stay scoped)."""
    from django.db.models import Q

    from layers.staff.selectors import scope_paths
    qs = Grid.objects.filter(valid_to__isnull=True).exclude(kind=GridKind.BASE)
    paths = scope_paths(user=user)
    if paths is None:
        return qs
    roots = Grid.objects.filter(path__in=paths, valid_to__isnull=True).only("geometry")
    # Interiors meet (DE-9IM T********): a special grid merely touching the user's edge is not theirs.
    q = Q(pk__in=grid_list_in_scope(user=user).exclude(kind=GridKind.BASE).values("pk"))
    for root in roots:
        q |= Q(geometry__relate=(root.geometry, "T********"))
    return qs.filter(q)


def _special_incident_counts(*, user, ids: list[int]) -> dict[int, dict]:
    """Cases each special grid holds, among those the user may see: {id: {received, open}}."""
    from django.db.models import Count, Q

    rows = (incident_list(user=user).filter(special_grids__in=ids).order_by()
            .values_list("special_grids")
            .annotate(received=Count("id", distinct=True),
                      open=Count("id", distinct=True, filter=~Q(status__in=FINAL_STATUSES))))
    return {gid: {"received": r, "open": o} for gid, r, o in rows}


def special_frame(*, user) -> gpd.GeoDataFrame:
    """Special grids visible to the user (see special_grid_list) with their figures: addresses,
    households, area (m²), and subjects and incidents (received, open) within the user's scope."""
    gdf = grid_frame(special_grid_list(user=user))
    if gdf.empty:
        return gdf
    ids = [int(i) for i in gdf["id"]]
    figures = special_figures(user=user, ids=ids)
    for col in ("addresses", "households", "subjects", "area_m2"):
        gdf[col] = [figures.get(i, {}).get(col) for i in ids]
    counts = _special_incident_counts(user=user, ids=ids)
    gdf["incidents"] = [counts.get(i, {}).get("received", 0) for i in ids]
    gdf["open_incidents"] = [counts.get(i, {}).get("open", 0) for i in ids]
    return gdf


def since_days(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def period(*, days: int, until: dt.date | None = None) -> tuple[dt.datetime, dt.datetime | None]:
    """(since, until) of a window of `days` days: ending now, or ending with the whole local
    day `until` (the end is exclusive: midnight after it)."""
    if until is None:
        return since_days(days), None
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    return end - dt.timedelta(days=days), end


def incident_frame(*, user, since: dt.datetime | None = None, until: dt.datetime | None = None,
                   incident_class: str | None = None, grid: int | None = None,
                   open_or_since: dt.datetime | None = None) -> gpd.GeoDataFrame:
    """Incident points in the user's scope (id, status, overdue, class, reported_at, grid_id).

    `open_or_since`: every case not closed or rejected, plus the others reported since then."""
    crs = f"EPSG:{settings.GEOGRID_SRID}"
    cols = ["id", "status", "status_label", "overdue", "incident_class", "incident_class_label", "title",
            "reported_at", "grid_id", "geometry"]
    kwargs = {"user": user, "since": since, "incident_class": incident_class or None}
    if until is not None:
        kwargs["until"] = until
    if grid is not None:
        kwargs["grid"] = grid
    qs = incident_list(**kwargs)
    if open_or_since is not None:
        from django.db.models import Q

        qs = qs.filter(~Q(status__in=FINAL_STATUSES) | Q(reported_at__gte=open_or_since))
    recs = []
    for inc in qs:
        recs.append({
            "id": inc.pk, "status": inc.status, "status_label": str(inc.get_status_display()),
            "overdue": bool(getattr(inc, "is_overdue", False)), "incident_class": inc.incident_class,
            "incident_class_label": str(inc.get_incident_class_display()),
            "title": (getattr(inc, "ref", None) or "") + " " + (inc.description or "")[:30],
            "reported_at": timezone.localtime(inc.reported_at).strftime("%Y-%m-%d %H:%M"),
            "grid_id": inc.grid_id, "geometry": inc.geometry.wkt and _shape(inc.geometry)})
    if not recs:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=crs)
    return gpd.GeoDataFrame(recs, geometry="geometry", crs=crs)


def _shape(geom):
    from shapely import Point
    return Point(geom.x, geom.y)


def incident_counts(*, grid_ids: list[int], since: dt.datetime | None = None, until: dt.datetime | None = None,
                    incident_class: str | None = None, user=None) -> dict[int, int]:
    """Incidents received per micro-grid in the period (optionally of one class)."""
    if incident_class:
        from django.db.models import Count
        qs = incident_list(user=user, since=since, until=until,
                           incident_class=incident_class).filter(grid_id__in=grid_ids)
        got = dict(qs.order_by().values_list("grid_id").annotate(n=Count("id")).values_list("grid_id", "n"))
        return {i: got.get(i, 0) for i in grid_ids}
    counts = incident_counts_by_grid(grid_ids=grid_ids, since=since, until=until)
    return {i: counts.get(i, {}).get("received", 0) for i in grid_ids}


def hotspot_list(*, user, days: int, incident_class: str | None = None,
                 until: dt.date | None = None) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Gi* per micro-grid in the user's scope over the `days` days up to now, or up to and
    including the day `until`: (grid frame, rows).

    Unsimplified geometry: simplifying each polygon on its own can break shared vertices and so
    the queen adjacency."""
    from .hotspots import grid_set_key, hotspots

    scoped = grid_list_in_scope(user=user).filter(pk__in=grid_leaf_base_ids())
    gdf = grid_frame(scoped)
    if gdf.empty:
        return gdf, []
    since, end = period(days=days, until=until)
    counts = incident_counts(grid_ids=[int(i) for i in gdf["id"]], since=since, until=end,
                             incident_class=incident_class, user=user)
    rows = hotspots(gdf, counts, key=grid_set_key(gdf["id"], gdf["version"]))
    return gdf, rows
