"""Thin API views: parse, call a selector or service, shape the answer."""
import hashlib
import io
import json

from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.audit.services import audit_record
from layers.core import params as P
from layers.core.edge import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from layers.core.errors import RuleViolation
from layers.core.exports import bounded_export, csv_writer
from layers.core.ratelimits import limit_export
from layers.grids.models import GridKind
from layers.idempotency.services import idempotent_write
from layers.staff.scope import scope_for

from ..hooks import intake_link_names
from ..photos import MAX_PHOTOS, clean_photo, photo_thumbnail
from ..selectors import (department_get, incident_counts_by_grid, incident_get, incident_get_for_rating, incident_list,
                         incident_type_list, photo_get)
from ..services import (IdempotencyConflict, escalation_respond, incident_escalate, incident_intake, incident_move,
                        incident_transition, rating_create)
from .serializers import incident_detail, incident_summary

INTAKE_FIELDS = ("lon", "lat", "crs", "address", "incident_class", "type", "description", "source", "patrol")


LIST_PARAMS = [
    OpenApiParameter("grid", int, description="a grid id: its subtree"),
    OpenApiParameter("status", str, description="comma-separated statuses"),
    OpenApiParameter("class", str), OpenApiParameter("incident_class", str),
    OpenApiParameter("type", str, description="type code"), OpenApiParameter("source", str),
    OpenApiParameter("since", str, description="YYYY-MM-DD or an ISO datetime"),
    OpenApiParameter("until", str, description="YYYY-MM-DD or an ISO datetime"),
    OpenApiParameter("overdue", bool),
]
NOTE = {"note": serializers.CharField(required=False, max_length=5000)}


def _body(serializer_name: str, **fields):
    return inline_serializer(name=serializer_name, fields=fields)


def _parse_when(value: str | None, name: str):
    return P.date_or_datetime(value, name)


def _parse_bool(value: str | None, name: str):
    return P.boolean(value, name)


def _fields(request, names) -> dict:
    """The named body fields as text (numbers accepted as their text; NUL, lists and objects
    refused with a 400 naming the field)."""
    data = P.body_object(request.data)
    return {n: P.text(data.get(n), n, max_length=5000) for n in names}


def list_filters(params) -> dict:
    """Query-string filters shared by list, GeoJSON, export and the page."""
    q = params
    status_ = P.text(q.get("status"), "status", max_length=200)
    return {
        "status": [s for s in status_.split(",") if s] if status_ else None,
        "incident_class": P.text(q.get("class"), "class", max_length=50)
        or P.text(q.get("incident_class"), "incident_class", max_length=50),
        "type": P.text(q.get("type"), "type", max_length=50),
        "source": P.text(q.get("source"), "source", max_length=50),
        "since": _parse_when(q.get("since"), "since"),
        "until": _parse_when(q.get("until"), "until"),
        "overdue": _parse_bool(q.get("overdue"), "overdue"),
        "grid": P.identifier(q.get("grid"), "grid"),
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


@extend_schema_view(
    get=extend_schema(parameters=LIST_PARAMS + [OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
                      responses=OpenApiTypes.OBJECT),
    post=extend_schema(request=_body(
        "IncidentIntake", lon=serializers.FloatField(required=False), lat=serializers.FloatField(required=False),
        crs=serializers.CharField(required=False), address=serializers.CharField(required=False),
        incident_class=serializers.CharField(required=False), type=serializers.CharField(required=False),
        description=serializers.CharField(), source=serializers.CharField(required=False)),
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)], responses=OpenApiTypes.OBJECT),
)
class IncidentListCreateView(APIView):
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    def get(self, request):
        qs = incident_list(user=request.user, **list_filters(request.query_params))
        limit = min(max(P.integer(request.query_params.get("limit"), "limit", default=100), 1), 1000)
        offset = P.integer(request.query_params.get("offset"), "offset", default=0, minimum=0, maximum=10**9)
        return Response({"count": qs.count(), "limit": limit, "offset": offset,
                         "results": [incident_summary(i) for i in qs[offset:offset + limit]]})

    def post(self, request):
        P.body_object(request.data)
        photos = request.FILES.getlist("photo")
        if len(photos) > MAX_PHOTOS:
            raise RuleViolation("photo_count", _("At most %(n)d photos per report") % {"n": MAX_PHOTOS})
        body_hash = _body_hash(request)
        cleaned = [clean_photo(f, index=n) for n, f in enumerate(photos, start=1)]
        d = _fields(request, INTAKE_FIELDS)
        try:
            incident, created = incident_intake(
                user=request.user, idempotency_key=request.headers.get("Idempotency-Key"), body_hash=body_hash,
                lon=d.get("lon"), lat=d.get("lat"), crs=d.get("crs") or "wgs84", address=d.get("address") or None,
                description=d.get("description") or "", incident_class=d.get("incident_class") or "general",
                type=d.get("type"), source=d.get("source") or "resident", photos=cleaned,
                links={name: d.get(name) for name in intake_link_names()})
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


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
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


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("size", str, enum=["full", "thumb"])],
                                     responses={(200, "image/jpeg"): OpenApiTypes.BINARY}))
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


@extend_schema_view(post=extend_schema(request=_body("IncidentTransition", to=serializers.CharField(), **NOTE),
                                      responses=OpenApiTypes.OBJECT))
class IncidentTransitionView(APIView):
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        d = _fields(request, ("to", "note", "expect"))
        to = d.get("to")
        if not to:
            raise RuleViolation("status_required", _("Say which status to move to ('to')"))

        photos = request.FILES.getlist("photo")
        if len(photos) > MAX_PHOTOS:
            raise RuleViolation("photo_count", _("At most %(n)d photos per report") % {"n": MAX_PHOTOS})
        cleaned = [clean_photo(f, index=n) for n, f in enumerate(photos, start=1)]

        def write():
            # `expect`: the status the client saw; a case moved since is refused with 409 (StaleAction).
            moved = incident_transition(incident=incident, user=request.user, to=to, note=d.get("note") or "",
                                        expect=d.get("expect") or None, photos=cleaned)
            return Response(incident_detail(incident_get(user=request.user, pk=moved.pk)))

        # A phone replaying a queued transition (Idempotency-Key) gets the first answer, not a
        # refusal of the now illegal second step.
        return idempotent_write(request, route=f"transition:{incident.pk}", write=write)


@extend_schema_view(post=extend_schema(request=_body(
    "IncidentMove", lon=serializers.FloatField(), lat=serializers.FloatField(), crs=serializers.CharField(required=False),
    **NOTE), responses=OpenApiTypes.OBJECT))
class IncidentMoveView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        d = _fields(request, ("lon", "lat", "crs", "note"))
        incident = incident_move(incident=incident, user=request.user, lon=d.get("lon"), lat=d.get("lat"),
                                 crs=d.get("crs") or "wgs84", note=str(d.get("note") or ""))
        # The case may have left the user's subtree: answer with what they may still see.
        try:
            return Response(incident_detail(incident_get(user=request.user, pk=incident.pk)))
        except Http404:
            return Response({"id": incident.pk, "grid": {"id": incident.grid_id, "code": incident.grid.code},
                             "detail": _("The case now lies outside your grids")})


@extend_schema_view(post=extend_schema(request=_body(
    "IncidentEscalate", department=serializers.CharField(required=False, help_text="id or code"), **NOTE),
    responses=OpenApiTypes.OBJECT))
class IncidentEscalateView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        department = None
        d = _fields(request, ("department", "note", "expect_level"))
        dep = d.get("department")
        if dep not in (None, ""):
            department = department_get(ref=dep)
            if department is None:
                raise RuleViolation("department_unknown", _("Unknown department %(d)r") % {"d": dep})
        incident_escalate(incident=incident, user=request.user, note=d.get("note") or "",
                          department=department, expect_level=d.get("expect_level"))
        return Response(incident_detail(incident_get(user=request.user, pk=pk)))


@extend_schema_view(post=extend_schema(request=_body("EscalationRespond", action=serializers.CharField(), **NOTE),
                                      responses=OpenApiTypes.OBJECT))
class EscalationRespondView(APIView):
    def post(self, request, pk):
        incident = incident_get(user=request.user, pk=pk)
        d = _fields(request, ("action", "note"))
        escalation_respond(incident=incident, user=request.user, action=d.get("action") or "", note=d.get("note") or "")
        return Response(incident_detail(incident_get(user=request.user, pk=pk)))


@extend_schema_view(post=extend_schema(request=_body("IncidentRating", score=serializers.IntegerField(), **NOTE),
                                      responses=OpenApiTypes.OBJECT))
class IncidentRateView(APIView):
    def post(self, request, pk):
        incident = incident_get_for_rating(user=request.user, pk=pk)
        d = _fields(request, ("note",))
        score = P.integer(P.body_object(request.data).get("score"), "score", minimum=-100, maximum=100)
        rating = rating_create(incident=incident, user=request.user, score=score, note=d.get("note") or "")
        return Response({"id": rating.pk, "score": rating.score}, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(parameters=LIST_PARAMS, responses=OpenApiTypes.OBJECT))
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


@extend_schema_view(get=extend_schema(parameters=LIST_PARAMS + [OpenApiParameter("format", str, enum=["csv"])],
                                     responses={(200, "text/csv"): OpenApiTypes.BINARY}))
class ExportView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @limit_export
    def get(self, request):
        fmt = request.query_params.get("format", "csv")
        if fmt != "csv":
            raise RuleViolation("export_format", _("Export format %(f)r is not supported; use csv") % {"f": fmt})
        qs = incident_list(user=request.user, **list_filters(request.query_params))
        buf = io.StringIO()
        buf.write("\ufeff")  # so spreadsheet programs read the Chinese text as UTF-8
        w = csv_writer(buf)
        w.writerow(EXPORT_COLUMNS)
        n = 0
        with bounded_export():
            for i in qs.iterator(chunk_size=1000):
                w.writerow([i.pk, i.ref, timezone.localtime(i.reported_at).isoformat(), i.status, i.incident_class,
                            i.type.parent.name if i.type.parent_id else "", i.type.name, i.source, i.grid.code,
                            i.grid.name, round(i.geometry.x, 7), round(i.geometry.y, 7),
                            timezone.localtime(i.deadline).isoformat(), int(i.overdue), i.escalation_level,
                            timezone.localtime(i.closed_at).isoformat() if i.closed_at else "", i.description])
                n += 1
        audit_record(action="export", request=request, target_type="incidents.Incident", rows=n, format="csv")
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="incidents-{timezone.localdate():%Y%m%d}.csv"'
        return response


@extend_schema_view(get=extend_schema(parameters=[
    OpenApiParameter("since", str), OpenApiParameter("until", str), OpenApiParameter("level", int),
    OpenApiParameter("kind", str, description="base, special or a kind")], responses=OpenApiTypes.OBJECT))
class StatsView(APIView):
    def get(self, request):
        since = _parse_when(request.query_params.get("since"), "since")
        until = _parse_when(request.query_params.get("until"), "until")
        level = P.integer(request.query_params.get("level"), "level", default=4, minimum=0, maximum=100)
        kind = P.text(request.query_params.get("kind"), "kind", max_length=50) or GridKind.BASE
        grids = scope_for(request.user).grids().filter(level=int(level))
        grids = grids.exclude(kind=GridKind.BASE) if kind == "special" else grids.filter(kind=kind)
        grids = list(grids.order_by("code").values("id", "code", "name", "level", "kind"))
        counts = incident_counts_by_grid(user=request.user, grid_ids=[g["id"] for g in grids], since=since, until=until)
        return Response({"since": str(since) if since else None, "until": str(until) if until else None,
                         "level": int(level), "grids": [{**g, **counts[g["id"]]} for g in grids]})


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class TypeListView(APIView):
    def get(self, request):
        return Response([{"id": t.pk, "code": t.code, "name": t.name, "parent": t.parent.code if t.parent_id else None,
                          "accept_hours": t.limits()[0], "handle_hours": t.limits()[1]} for t in incident_type_list()])

