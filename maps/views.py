"""Map pages. Thin: parse the query, fetch with the layers' selectors (scoped to the acting
user), build with maps.builders, render; `?format=png|pdf` hands the same page to headless
Chromium (maps.export). maps/ itself reads nothing from the database."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.audit.services import audit_record
from layers.core.basemap import basemap_from_settings
from layers.core.errors import Conflict, RuleViolation
from layers.core.ratelimits import export_refusal
from layers.core.security import nonce_scripts
from layers.grids.frames import DEFAULT_TOLERANCE, grid_frame
from layers.grids.models import Grid, GridKind
from layers.grids.selectors import grid_list
from layers.overview.models import ExportStatus
from layers.overview.selectors import export_job_get
from layers.overview.services import export_job_create
from layers.incidents.models import IncidentClass
from layers.incidents.selectors import (incident_first_day, incident_frame, incident_period, incident_received_by_grid,
                                       since_days)
from layers.staff.access import NONE, route_access
from layers.staff.scope import scope_for
from layers.staff.selectors import assignment_change_list_own, own_grid_list, scoped_base_levels, scoped_grid_list
from layers.ogc.selectors import extent
from layers.subjects.selectors import coverage_frame, coverage_map_rows, special_grid_frame

from . import builders
from .assets import page_parts
from .export import add_print_numbers, export_job_start, figure_text, print_rows, render_page
from .hotspots import grid_set_key, hotspots as gi_star
from .vectortiles import VECTOR_TILES_ABOVE

DAYS_CHOICES = (7, 30, 90, 365)
# The time slider moves the end of the window back in whole weeks, up to two years.
SLIDER_WEEKS = 104
# Below this many micro-grids Gi* has too few neighbours to find anything (a grid head's scope).
GI_MIN_GRIDS = 9


def _incident_classes() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in IncidentClass.choices]


def _export_or_none(request, name: str):
    fmt = request.GET.get("format")
    if not fmt or fmt == "html":
        return None
    if fmt not in ("png", "pdf"):
        raise RuleViolation("bad_parameter", _("format must be html, png or pdf"))
    refused = export_refusal(request)  # a PNG/PDF costs a browser render: rate-limited like exports
    if refused is not None:
        return refused
    data = render_page(request, fmt)
    audit_record(action="export", request=request, target_type=f"maps.{name}", format=fmt)
    resp = HttpResponse(data, content_type="image/png" if fmt == "png" else "application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    return resp


def _printing(request) -> bool:
    return request.GET.get("print") in ("1", "pdf")


def _print_scope(user) -> str:
    """Which grids a printed map covers: the user's own grids by name (all grids for an administrator)."""
    if scope_for(user).is_admin:
        return _("all grids")
    return "、".join(g.name for g in own_grid_list(user=user)) or "–"


def _render(request, template: str, m, context: dict, *, numbered: list[dict] | None = None,
            figure: str = ""):
    """The page; in print mode (`print=1|pdf`, the exports) without its controls, with the scope
    and, when `numbered` is given, each grid's number drawn on it and the numbered table of grid
    names and `figure` beside the map."""
    nonce = getattr(request, "csp_nonce", "")
    mode = request.GET.get("print")
    printing = mode in ("1", "pdf")
    if printing and numbered:
        add_print_numbers(m, numbered)
    parts = page_parts(m)
    # folium's head and body carry inline scripts: they run under the page's CSP nonce.
    parts.header, parts.html, parts.data = (nonce_scripts(t, nonce) for t in (parts.header, parts.html, parts.data))
    context.update({"map": parts, "print": printing, "print_pdf": mode == "pdf"})
    if printing:
        context.update({"print_scope": _print_scope(request.user), "print_rows": numbered or [],
                        "print_figure": figure})
    return render(request, template, context)


def _parse_int(value, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RuleViolation("bad_parameter", _("%(name)s must be a whole number") % {"name": name})


@login_required
@route_access
def coverage(request):
    """Leaders' coverage choropleth: ?metric=...&level=3|4."""
    export = _export_or_none(request, "coverage")
    if export is not None:
        return export
    metrics = builders.coverage_metrics()
    metric = request.GET.get("metric") or "households_band"
    if metric not in metrics:
        raise RuleViolation("bad_parameter", _("unknown metric %(m)s; use one of %(all)s")
                            % {"m": metric, "all": ", ".join(metrics)})
    in_scope = scoped_base_levels(user=request.user)
    levels = [lv for lv in in_scope if lv in (3, 4)] or in_scope[:2]
    level = _parse_int(request.GET.get("level"), "level", levels[-1] if levels else 4)
    if levels and level not in levels:
        raise RuleViolation("bad_parameter", _("level must be one of %(levels)s") % {"levels": levels})
    figures = coverage_map_rows(user=request.user, levels=levels)
    level_names = {k: str(v) for k, v in settings.GEOGRID_LEVELS.items()}
    basemap = basemap_from_settings()
    options = {}
    if _vector_tiles(len(figures), basemap):
        # A large layer: polygons from /tiles/coverage/ (scoped, with the figures), colours and
        # the figures the tiles lack from the page; the map frames the user's grids.
        gdf = figures
        box = extent(scoped_grid_list(user=request.user, kind=GridKind.BASE, level=level))
        options = {"tiles": "/tiles/coverage/{{z}}/{{x}}/{{y}}.mvt?level={level}", "bounds": tuple(box) if box else None,
                   "outline_tiles": f"/tiles/coverage/{{z}}/{{x}}/{{y}}.mvt?level={min(levels) - 1}" if levels else None}
        outline = None
    else:
        gdf = coverage_frame(user=request.user, levels=levels, figures=figures)
        # The base grids one level above the lowest shown, drawn as boundaries on top.
        outline = (grid_frame(scoped_grid_list(user=request.user, kind=GridKind.BASE, level=min(levels) - 1),
                              tolerance=DEFAULT_TOLERANCE) if levels else None)
    m = builders.build_coverage_map(gdf, metric=metric, level=level, level_names=level_names,
                                    bands=settings.GEOGRID_HOUSEHOLD_BAND, outline=outline,
                                    basemap=basemap, **options)
    numbered = None
    if _printing(request):
        shown = gdf[gdf["level"] == level] if not gdf.empty else gdf
        band = settings.GEOGRID_HOUSEHOLD_BAND.get(level)
        numbered = print_rows(shown, lambda r: _coverage_figure(r, metric, band))
    return _render(request, "maps/coverage.html", m, {
        "title": _("Coverage map"), "metrics": [(k, str(v.label)) for k, v in metrics.items()],
        "metric": metric, "levels": [(lv, level_names.get(lv, lv)) for lv in levels], "level": level,
        "metric_label": str(metrics[metric].label), "level_name": level_names.get(level, level),
        "table_level": level,
        "grid_count": len(gdf)}, numbered=numbered,
        figure=str(_("Households") if metric == "households_band" else metrics[metric].label))


def _coverage_figure(row, metric: str, band) -> str:
    """One grid's printed figure for the coverage metric (households against the band: the
    households and where they fall)."""
    if metric == "households_band":
        n = row.get("households")
        text = figure_text(n)
        if band and n is not None and n == n:
            where = (_("below the band") if n < band[0] else _("above the band") if n > band[1]
                     else _("within the band"))
            text = f"{text}（{where}）"
        return text
    return figure_text(row.get(metric), percent=metric == "visited_within_cadence")


def _vector_tiles(features: int, basemap) -> bool:
    """Whether a layer of this many features is drawn from vector tiles: above the threshold
    (settings.GEOGRID_MAP_VECTOR_TILES_ABOVE), and only over a WGS84 basemap (tiles are not shifted)."""
    above = getattr(settings, "GEOGRID_MAP_VECTOR_TILES_ABOVE", VECTOR_TILES_ABOVE)
    return features > above and not (basemap is not None and basemap.shifts)


def _days_and_class(request) -> tuple[int, str | None]:
    days = _parse_int(request.GET.get("days"), "days", 30)
    if not 1 <= days <= 3660:
        raise RuleViolation("bad_parameter", _("days must be between 1 and 3660"))
    incident_class = request.GET.get("incident_class") or None
    classes = [c for c, _l in _incident_classes()]
    if incident_class and incident_class not in classes:
        raise RuleViolation("bad_parameter", _("unknown incident class %(c)s; use one of %(all)s")
                            % {"c": incident_class, "all": ", ".join(classes)})
    return days, incident_class


def _until(request) -> dt.date | None:
    """`until=YYYY-MM-DD`: the last day of the window (today or earlier); None: up to now."""
    value = request.GET.get("until")
    if value in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise RuleViolation("bad_parameter", _("until must be a date like 2025-06-30, not %(v)s") % {"v": value[:40]})
    if day > timezone.localdate():
        raise RuleViolation("bad_parameter", _("until must not be after today"))
    if day < timezone.localdate() - dt.timedelta(weeks=SLIDER_WEEKS * 5):
        raise RuleViolation("bad_parameter", _("until is too far in the past"))
    return day


def _hotspots(user, *, days: int, incident_class: str | None, until: dt.date | None):
    """Gi* per micro-grid in the user's scope over the `days` days up to now, or up to and
    including the day `until`: (grid frame, rows). Unsimplified geometry: simplifying each
    polygon on its own can break shared vertices and so the queen adjacency."""
    gdf = grid_frame(scoped_grid_list(user=user, micro_only=True))
    if gdf.empty:
        return gdf, []
    since, end = incident_period(days=days, until=until)
    counts = incident_received_by_grid(user=user, grid_ids=[int(i) for i in gdf["id"]], since=since, until=end,
                                       incident_class=incident_class)
    return gdf, gi_star(gdf, counts, key=grid_set_key(gdf["id"], gdf["version"]))


@login_required
@route_access
def hotspots(request):
    """Incident heatmap and Gi* hot/cold spots: ?days=7|30|90|365&incident_class=..."""
    export = _export_or_none(request, "hotspots")
    if export is not None:
        return export
    days, incident_class = _days_and_class(request)
    until = _until(request)
    gdf, rows = _hotspots(request.user, days=days, incident_class=incident_class, until=until)
    by_id = {r["grid_id"]: r for r in rows}
    for col in ("count", "gi_z", "p", "class"):
        gdf[col] = [by_id.get(int(i), {}).get(col) for i in gdf["id"]] if not gdf.empty else []
    since, end = incident_period(days=days, until=until)
    incidents = incident_frame(user=request.user, since=since, until=end, incident_class=incident_class)
    m = builders.build_hotspot_map(gdf, incidents=incidents, basemap=basemap_from_settings())
    names = dict(zip(gdf["id"], zip(gdf["code"], gdf["name"]))) if not gdf.empty else {}
    table = sorted(({**r, "code": names.get(r["grid_id"], ("", ""))[0], "name": names.get(r["grid_id"], ("", ""))[1],
                     "label": builders.hotspot_label(r["class"])} for r in rows),
                   key=lambda r: (builders.HOTSPOT_CLASSES.index(r["class"]), -(r["gi_z"] or 0)))
    table = [r for r in table if r["class"] != "none"]
    today = timezone.localdate()
    last_day = until or today
    first = incident_first_day(user=request.user)
    reach = min(SLIDER_WEEKS, -(-(today - first).days // 7)) if first else 0
    numbered = None
    if _printing(request):
        counted = gdf[[bool(c) and c == c for c in gdf["count"]]] if not gdf.empty else gdf
        numbered = print_rows(counted, lambda r: f"{figure_text(r.get('count'))}"
                              + (f"（{builders.hotspot_label(r['class'])}）" if r.get("class") not in (None, "none") else ""))
    base_levels = scoped_base_levels(user=request.user)
    return _render(request, "maps/hotspots.html", m, numbered=numbered, figure=_("Incidents"), context={
        "table_level": base_levels[-1] if base_levels else None, "summary": hotspot_summary(table, incident_total=len(incidents)),
        "title": _("Hotspots"), "days": days, "days_choices": DAYS_CHOICES, "incident_class": incident_class or "",
        "classes": _incident_classes(), "table": table, "incident_total": len(incidents),
        "grid_total": len(gdf), "too_few_grids": len(gdf) < GI_MIN_GRIDS,
        "until": until.isoformat() if until else "", "today": today.isoformat(),
        "slider_value": -min((today - last_day).days // 7, reach), "slider_weeks": reach,
        "first_day": (last_day - dt.timedelta(days=days - 1)).isoformat(), "last_day": last_day.isoformat()})


def hotspot_summary(table: list[dict], *, incident_total: int) -> dict:
    """What the hot and cold spot table says, for a leader: which grids have clearly more (or
    fewer) cases than the grids around them, strongest first, named with their case counts."""
    def named(rows):
        return "、".join(_("%(name)s (%(n)s cases)") % {"name": r["name"], "n": r["count"]} for r in rows[:5])
    hot = [r for r in table if r["class"].startswith("hot")]
    cold = [r for r in table if r["class"].startswith("cold")]
    return {"hot": len(hot), "cold": len(cold), "hot_names": named(hot), "cold_names": named(cold),
            "more_hot": max(0, len(hot) - 5), "more_cold": max(0, len(cold) - 5), "total": incident_total}


@login_required
@route_access
def special(request):
    """Special grids by kind over the base grids."""
    export = _export_or_none(request, "special")
    if export is not None:
        return export
    gdf = special_grid_frame(user=request.user)
    base = grid_frame(scoped_grid_list(user=request.user, micro_only=True), tolerance=DEFAULT_TOLERANCE)
    m = builders.build_special_map(gdf, base=base, basemap=basemap_from_settings())
    rows = gdf.drop(columns="geometry").to_dict("records") if not gdf.empty else []
    labels = dict(GridKind.choices)
    for r in rows:
        r["kind_label"] = labels.get(r["kind"], r["kind"])
        r["area_text"] = builders.thousands(r.get("area_m2"))
        for col in ("addresses", "households", "subjects", "incidents", "open_incidents"):
            v = r.get(col)
            # NaN from the frame -> missing; a banded count ("<10", "10-19") stays as it is.
            r[col] = None if v is None or v != v else (v if isinstance(v, str) else int(v))
    return _render(request, "maps/special.html", m, {"title": _("Special grids"), "rows": rows})


def _own_grid(request) -> Grid | None:
    """The grid the user heads (or serves): ?grid=<id> chooses among several."""
    grids = own_grid_list(user=request.user)
    wanted = request.GET.get("grid")
    if wanted:
        for g in grids:
            if str(g.pk) == wanted:
                return g
        raise Http404
    if not grids:
        return None
    return grids[0]


@login_required
@route_access
def grid_head(request):
    """The grid head's polygon, its children and its incidents by status."""
    export = _export_or_none(request, "grid")
    if export is not None:
        return export
    grid = _own_grid(request)
    changes = list(assignment_change_list_own(user=request.user)[:10])
    if grid is None:
        # No current grid: say why (a plan retired it) and where the person serves now, never a 404.
        return grid_changes(request)
    own = grid_frame(ids=[grid.pk])
    # Base children only: special grids hang under a street too, but they overlay, not tile.
    child_grids = grid_list(parent=grid.pk, kind=GridKind.BASE)
    basemap = basemap_from_settings()
    children, children_tiles = None, None
    if _vector_tiles(child_grids.count(), basemap):
        # Many children: drawn from /tiles/coverage/ (the user's grids of the level below).
        children_tiles = f"/tiles/coverage/{{z}}/{{x}}/{{y}}.mvt?level={grid.level + 1}"
    else:
        children = grid_frame(child_grids, tolerance=DEFAULT_TOLERANCE)
    days = _parse_int(request.GET.get("days"), "days", 30)
    if not 1 <= days <= 3660:
        raise RuleViolation("bad_parameter", _("days must be between 1 and 3660"))
    # Every case still open, whatever its age, plus those reported in the last `days` days.
    incidents = incident_frame(user=request.user, grid=grid.pk, open_or_since=since_days(days))
    labels = dict(zip(incidents["status"], incidents["status_label"])) if not incidents.empty else {}
    m = builders.build_grid_head_map(own, children=children, incidents=incidents, basemap=basemap,
                                     status_labels=labels, children_tiles=children_tiles)
    numbered = None
    has_children = children is not None and not children.empty
    if _printing(request) and has_children:
        per_child = {}
        if not incidents.empty:
            # A case counts for the child grid it was located in.
            for gid in incidents["grid_id"]:
                per_child[int(gid)] = per_child.get(int(gid), 0) + 1
        numbered = print_rows(children, lambda r: figure_text(per_child.get(int(r["id"]), 0)))
    return _render(request, "maps/grid.html", m, numbered=numbered, figure=_("Incidents"), context={
        "table_level": grid.level + 1 if has_children or children_tiles else grid.level, "title": _("My grid"), "grid": grid, "incident_total": len(incidents), "days": days,
        "overdue_total": int(incidents["overdue"].sum()) if not incidents.empty else 0,
        "changes": [c for c in changes if (timezone.now() - c.at).days < 30]})


@login_required
@route_access
def grid_changes(request):
    """The user's own assignment changes: which grid they served, what a plan did to it, where
    they serve now."""
    changes = list(assignment_change_list_own(user=request.user)[:20])
    return render(request, "maps/no_grid.html", {"title": _("My grid"), "changes": changes,
                                                 "has_grid": bool(own_grid_list(user=request.user))})


@extend_schema_view(get=extend_schema(parameters=[
    OpenApiParameter("days", int), OpenApiParameter("until", str, description="YYYY-MM-DD"),
    OpenApiParameter("incident_class", str)], responses=OpenApiTypes.OBJECT))
class HotspotsAPI(APIView):
    """GET /api/hotspots/?days=N[&until=YYYY-MM-DD][&incident_class=] -> per micro-grid Gi* classification
    over the N days up to now, or up to and including the day `until`."""

    def get(self, request):
        days, incident_class = _days_and_class(request)
        until = _until(request)
        _gdf, rows = _hotspots(request.user, days=days, incident_class=incident_class, until=until)
        return Response(rows)


# --- meeting exports in the background ---------------------------------------------------------
# The map pages a job may render (route names in this app).
EXPORT_PAGES = ("coverage", "hotspots", "special", "grid")


def _job_answer(job) -> dict:
    return {"id": job.pk, "page": job.page, "format": job.fmt, "status": job.status,
            "status_label": str(ExportStatus(job.status).label), "progress": job.progress,
            "error": job.error if job.status == ExportStatus.FAILED else "",
            "download": reverse("maps:api-export-file", args=[job.pk]) if job.status == ExportStatus.DONE else None,
            "filename": job.filename, "size": job.size}


def _own_job(request, pk: int):
    job = export_job_get(user=request.user, pk=pk)
    if job is None:  # someone else's export is as absent as a missing one
        raise Http404
    return job


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class ExportJobsAPI(APIView):
    """POST {"page": coverage|hotspots|special|grid, "format": png|pdf, "query": "<the page's query
    string>"} -> 202 and the job; the page is rendered in the background as the requesting user
    sees it (their session), for printing: no controls, a numbered table of the grids."""

    def post(self, request):
        page = str(request.data.get("page") or "")
        fmt = str(request.data.get("format") or "")
        if page not in EXPORT_PAGES:
            raise RuleViolation("bad_parameter", _("page must be one of %(all)s") % {"all": ", ".join(EXPORT_PAGES)})
        if fmt not in ("png", "pdf"):
            raise RuleViolation("bad_parameter", _("format must be png or pdf"))
        if scope_for(request.user).access(f"maps:{page}") == NONE:
            raise PermissionDenied(_("you may not export this map"))
        session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session:
            raise RuleViolation("bad_parameter", _("map exports need a logged-in browser session"))
        query = str(request.data.get("query") or "").lstrip("?")
        if len(query) > 1000:
            raise RuleViolation("bad_parameter", _("the page parameters are too long"))
        params = QueryDict(query, mutable=True)
        for key in ("format", "print"):
            params.pop(key, None)
        refused = export_refusal(request)
        if refused is not None:
            return refused
        job = export_job_create(user=request.user, page=page, fmt=fmt, query=params.urlencode())
        params["print"] = "pdf" if fmt == "pdf" else "1"
        url = request.build_absolute_uri(reverse(f"maps:{page}")) + "?" + params.urlencode()
        export_job_start(job, url=url, session=session)
        audit_record(action="export", request=request, target_type=f"maps.{page}", format=fmt, job=job.pk)
        return Response(_job_answer(job), status=202)


class ExportJobAPI(APIView):
    """GET -> the job's status and progress (0-100), with the download link once done."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        return Response(_job_answer(_own_job(request, pk)))


class ExportFileAPI(APIView):
    """GET -> the finished export's file, for its requester only (an API route: an anonymous
    request gets the 401 challenge, not the login page)."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                              (200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        job = _own_job(request, pk)
        if job.status != ExportStatus.DONE:
            raise Conflict("not_ready", _("the export is not finished yet"))
        ctype = "image/png" if job.fmt == "png" else "application/pdf"
        resp = HttpResponse(bytes(job.content), content_type=ctype)
        resp["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        resp["Cache-Control"] = "private, no-store"
        return resp
