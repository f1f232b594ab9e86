"""Thin API views: parse, call a selector or service, shape the answer."""
import csv
import hashlib
import io
import json

from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core.errors import RuleViolation
from layers.grids.models import GridKind
from layers.staff.scope import scope_for

from ..photos import MAX_PHOTOS, clean_photo, photo_thumbnail
from ..selectors import (department_get, incident_counts_by_grid, incident_get, incident_get_for_rating, incident_list,
                         incident_type_list, photo_get)
from ..services import (IdempotencyConflict, escalation_respond, incident_escalate, incident_intake, incident_move,
                        incident_transition, rating_create)
from .serializers import incident_detail, incident_summary

INTAKE_FIELDS = ("lon", "lat", "crs", "address", "incident_class", "type", "description", "source")


def _parse_when(value: str | None, name: str):
    if not value:
        return None
    parsed = parse_datetime(value) or parse_date(value)
    if parsed is None:
        raise RuleViolation("filter_date", _("%(name)s is not a date (YYYY-MM-DD) or a datetime: %(value)r")
                            % {"name": name, "value": value})
    return parsed


def _parse_bool(value: str | None, name: str):
    if value in (None, ""):
        return None
    v = value.strip().lower()
    if v in ("1", "true", "yes"):
        return True
    if v in ("0", "false", "no"):
        return False
    raise RuleViolation("filter_bool", _("%(name)s must be true or false") % {"name": name})


def list_filters(params) -> dict:
    """Query-string filters shared by list, GeoJSON, export and the page."""
    grid = params.get("grid")
    if grid not in (None, "") and not str(grid).isdigit():
        raise RuleViolation("filter_grid", _("grid must be a grid id"))
    status_ = params.get("status")
    return {
        "status": [s for s in status_.split(",") if s] if status_ else None,
        "incident_class": params.get("class") or params.get("incident_class") or None,
        "type": params.get("type") or None,
        "source": params.get("source") or None,
        "since": _parse_when(params.get("since"), "since"),
        "until": _parse_when(params.get("until"), "until"),
        "overdue": _parse_bool(params.get("overdue"), "overdue"),
        "grid": int(grid) if grid not in (None, "") else None,
    }


def _body_hash(request) -> str:
    """A stable hash of what was asked: the intake fields and the bytes of every photo."""
    data = {k: request.data.get(k) for k in INTAKE_FIELDS if request.data.get(k) not in (None, "")}
    canon = {k: str(v) for k, v in data.items()}
    files = [hashlib.sha256(f.read()).hexdigest() for f in request.FILES.getlist("photo")]
    for f in request.FILES.getlist("photo"):
        f.seek(0)
    blob = json.dumps({"fields": canon, "photos": files}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class IncidentListCreateView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get(self, request):
        qs = incident_list(user=request.user, **list_filters(request.query_params))
        try:
            limit = min(max(int(request.query_params.get("limit", 100)), 1), 1000)
            offset = max(int(request.query_params.get("offset", 0)), 0)
        except ValueError:
            raise RuleViolation("paging", _("limit and offset must be whole numbers"))
        return Response({"count": qs.count(), "limit": limit, "offset": offset,
                         "results": [incident_summary(i) for i in qs[offset:offset + limit]]})

    def post(self, request):
        photos = request.FILES.getlist("photo")
        if len(photos) > MAX_PHOTOS:
            raise RuleViolation("photo_count", _("At most %(n)d photos per report") % {"n": MAX_PHOTOS})
        body_hash = _body_hash(request)
        cleaned = [clean_photo(f, index=n) for n, f in enumerate(photos, start=1)]
        d = request.data
        try:
            incident, created = incident_intake(
                user=request.user, idempotency_key=request.headers.get("Idempotency-Key"), body_hash=body_hash,
                lon=d.get("lon"), lat=d.get("lat"), crs=d.get("crs") or "wgs84", address=d.get("address") or None,
                description=d.get("description") or "", incident_class=d.get("incident_class") or "general",
                type=d.get("type"), source=d.get("source") or "resident", photos=cleaned)
        except IdempotencyConflict as err:
            return Response(err.as_dict(), status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        body = {"id": incident.pk, "ref": incident.ref, "status": incident.status,
                "grid": {"id": incident.grid_id, "code": incident.grid.code},
                "special_grids": [g.code for g in incident.special_grids.order_by("code")],
                "deadline": timezone.localtime(incident.deadline).isoformat()}
        response = Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class IncidentDetailView(APIView):
    def get(self, request, pk):
        return Response(incident_detail(incident_get(user=request.user, pk=pk)))


class _AnyAccept(BaseContentNegotiation):
    """An <img> asks for image/*: answer with the file, and errors with the first renderer (JSON),
    instead of refusing the request with 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class IncidentPhotoView(APIView):
    """The bytes of one photo of a case in the user's scope (404 otherwise, as every incident
    route). Uploaded files are never served from MEDIA wholesale: this is the only way in.
    ?size=thumb gives a small JPEG for lists."""
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AnyAccept

    def get(self, request, pk, photo_pk):
        photo = photo_get(user=request.user, incident_pk=pk, pk=photo_pk)
        size = request.query_params.get("size", "full")
        if size not in ("full", "thumb"):
            raise RuleViolation("photo_size", _("size must be full or thumb"))
        name = f"incident-{pk}-{photo.pk}{'-thumb' if size == 'thumb' else ''}.jpg"
        try:
            if size == "thumb":
                with photo.file.open("rb") as f:
                    response = HttpResponse(photo_thumbnail(f.read()), content_type="image/jpeg")
                response["Content-Disposition"] = f'inline; filename="{name}"'
            else:
                response = FileResponse(photo.file.open("rb"), content_type="image/jpeg", filename=name)
        except FileNotFoundError:
            raise Http404
        # Scoped data: the browser may keep it, shared caches may not.
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class IncidentTransitionView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        to = request.data.get("to")
        if not to:
            raise RuleViolation("status_required", _("Say which status to move to ('to')"))
        incident = incident_transition(incident=incident, user=request.user, to=str(to),
                                       note=str(request.data.get("note") or ""))
        return Response(incident_detail(incident_get(user=request.user, pk=incident.pk)))


class IncidentMoveView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        d = request.data
        incident = incident_move(incident=incident, user=request.user, lon=d.get("lon"), lat=d.get("lat"),
                                 crs=d.get("crs") or "wgs84", note=str(d.get("note") or ""))
        # The case may have left the user's subtree: answer with what they may still see.
        try:
            return Response(incident_detail(incident_get(user=request.user, pk=incident.pk)))
        except Http404:
            return Response({"id": incident.pk, "grid": {"id": incident.grid_id, "code": incident.grid.code},
                             "detail": _("The case now lies outside your grids")})


class IncidentEscalateView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        department = None
        dep = request.data.get("department")
        if dep not in (None, ""):
            department = department_get(ref=dep)
            if department is None:
                raise RuleViolation("department_unknown", _("Unknown department %(d)r") % {"d": dep})
        incident_escalate(incident=incident, user=request.user, note=str(request.data.get("note") or ""),
                          department=department)
        return Response(incident_detail(incident_get(user=request.user, pk=pk)))


class EscalationRespondView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        escalation_respond(incident=incident, user=request.user, action=str(request.data.get("action") or ""),
                           note=str(request.data.get("note") or ""))
        return Response(incident_detail(incident_get(user=request.user, pk=pk)))


class IncidentRateView(APIView):
    def post(self, request, pk):
        incident = incident_get_for_rating(user=request.user, pk=pk)
        rating = rating_create(incident=incident, user=request.user, score=request.data.get("score"),
                               note=str(request.data.get("note") or ""))
        return Response({"id": rating.pk, "score": rating.score}, status=status.HTTP_201_CREATED)


class GeoJSONView(APIView):
    """Pages (`limit`, default 5,000, at most 10,000; `offset`), never a silent cap: the answer says
    how many matched and links the next page. GeoJSON, named, as application/geo+json."""
    DEFAULT_LIMIT, MAX_LIMIT = 5000, 10_000

    def get(self, request):
        params = request.query_params.copy()
        try:
            limit = int(params.pop("limit", [self.DEFAULT_LIMIT])[0])
            offset = int(params.pop("offset", [0])[0])
        except ValueError:
            raise RuleViolation("paging_invalid", _("limit and offset must be whole numbers"))
        if limit < 1 or offset < 0:
            raise RuleViolation("paging_invalid", _("limit must be at least 1 and offset at least 0"))
        limit = min(limit, self.MAX_LIMIT)
        qs = incident_list(user=request.user, **list_filters(params))
        matched = qs.count()
        features = [{
            "type": "Feature", "id": i.pk,
            "geometry": {"type": "Point", "coordinates": [round(i.geometry.x, 7), round(i.geometry.y, 7)]},
            "properties": {"id": i.pk, "ref": i.ref, "status": i.status, "status_label": i.get_status_display(),
                           "overdue": i.overdue, "incident_class": i.incident_class, "type": str(i.type),
                           "grid": i.grid.code, "reported_at": timezone.localtime(i.reported_at).isoformat(),
                           "deadline": timezone.localtime(i.deadline).isoformat(),
                           "escalation_level": i.escalation_level, "description": i.description[:80]},
        } for i in qs[offset:offset + limit]]
        links = []
        if offset + len(features) < matched:
            nxt = request.query_params.copy()
            nxt["limit"], nxt["offset"] = str(limit), str(offset + limit)
            links.append({"rel": "next", "type": "application/geo+json",
                          "href": request.build_absolute_uri(request.path) + "?" + nxt.urlencode()})
        body = {"type": "FeatureCollection", "name": "incidents", "numberMatched": matched,
                "numberReturned": len(features), "truncated": offset + len(features) < matched, "links": links,
                "features": features}
        return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/geo+json")


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach a renderer; the export itself returns its own response.
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


EXPORT_COLUMNS = ["id", "ref", "reported_at", "status", "incident_class", "category", "type", "source",
                  "grid_code", "grid_name", "lon", "lat", "deadline", "overdue", "escalation_level",
                  "closed_at", "description"]


class ExportView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def get(self, request):
        fmt = request.query_params.get("format", "csv")
        if fmt != "csv":
            raise RuleViolation("export_format", _("Export format %(f)r is not supported; use csv") % {"f": fmt})
        qs = incident_list(user=request.user, **list_filters(request.query_params))
        buf = io.StringIO()
        buf.write("\ufeff")  # so spreadsheet programs read the Chinese text as UTF-8
        w = csv.writer(buf)
        w.writerow(EXPORT_COLUMNS)
        for i in qs.iterator(chunk_size=1000):
            w.writerow([i.pk, i.ref, timezone.localtime(i.reported_at).isoformat(), i.status, i.incident_class,
                        i.type.parent.name if i.type.parent_id else "", i.type.name, i.source, i.grid.code,
                        i.grid.name, round(i.geometry.x, 7), round(i.geometry.y, 7),
                        timezone.localtime(i.deadline).isoformat(), int(i.overdue), i.escalation_level,
                        timezone.localtime(i.closed_at).isoformat() if i.closed_at else "", i.description])
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="incidents-{timezone.localdate():%Y%m%d}.csv"'
        return response


class StatsView(APIView):
    def get(self, request):
        since = _parse_when(request.query_params.get("since"), "since")
        until = _parse_when(request.query_params.get("until"), "until")
        level = request.query_params.get("level", "4")
        if not str(level).isdigit():
            raise RuleViolation("filter_level", _("level must be a grid level number"))
        kind = request.query_params.get("kind", GridKind.BASE)
        grids = scope_for(request.user).grids().filter(level=int(level))
        grids = grids.exclude(kind=GridKind.BASE) if kind == "special" else grids.filter(kind=kind)
        grids = list(grids.order_by("code").values("id", "code", "name", "level", "kind"))
        counts = incident_counts_by_grid(user=request.user, grid_ids=[g["id"] for g in grids], since=since, until=until)
        return Response({"since": str(since) if since else None, "until": str(until) if until else None,
                         "level": int(level), "grids": [{**g, **counts[g["id"]]} for g in grids]})


class TypeListView(APIView):
    def get(self, request):
        return Response([{"id": t.pk, "code": t.code, "name": t.name, "parent": t.parent.code if t.parent_id else None,
                          "accept_hours": t.limits()[0], "handle_hours": t.limits()[1]} for t in incident_type_list()])

