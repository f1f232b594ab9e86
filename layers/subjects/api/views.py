
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.audit.services import audit_record
from layers.core import params as P
from layers.core.paging import envelope, paginate, with_headers
from layers.core.crs import to_storage
from layers.core.errors import RuleViolation
from layers.core.exports import bounded_export, csv_writer
from layers.core.ratelimits import limit_export
from layers.idempotency.services import idempotent_write

from .. import selectors
from ..masking import mask
from ..models import Subject
from ..services import SENSITIVE, subject_create, subject_reveal, visit_create
from .serializers import RevealSerializer, SubjectCreateSerializer, SubjectSerializer, VisitCreateSerializer, VisitSerializer


def _int_param(request, name, default=None, *, minimum=None, maximum=P.BIGINT_MAX):
    return P.integer(request.query_params.get(name), name, default=default, minimum=minimum, maximum=maximum)


def _text_param(request, name, max_length=200):
    return P.text(request.query_params.get(name), name, max_length=max_length)


def _subject_or_404(user, pk) -> Subject:
    try:
        return selectors.subject_get(user=user, pk=pk)
    except (Subject.DoesNotExist, ValueError):
        raise Http404


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("grid", int), OpenApiParameter("category", str),
                                  OpenApiParameter("q", str), OpenApiParameter("limit", int),
                                  OpenApiParameter("offset", int)], responses=OpenApiTypes.OBJECT),
    post=extend_schema(request=SubjectCreateSerializer, responses=SubjectSerializer))
class SubjectListView(APIView):
    """GET: subjects in your scope, sensitive values masked. ?grid=<id>&category=&q=&limit=&offset=
    POST: record a subject at an address in your grids (field staff only)."""

    def post(self, request):
        ser = SubjectCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        address = selectors.address_for_field_staff(user=request.user, pk=data.pop("address"))
        if address is None:
            raise RuleViolation("address_out_of_scope", _("This address is not in a grid you work in."))
        subject = subject_create(address=address, **data)
        return Response(SubjectSerializer(subject).data, status=201)

    def get(self, request):
        qs = selectors.subject_list(user=request.user, grid_id=_int_param(request, "grid"),
                                    category=_text_param(request, "category"), q=_text_param(request, "q"))
        if "limit" in request.query_params:
            limit = _int_param(request, "limit", 100, minimum=1, maximum=1000)
            offset = _int_param(request, "offset", 0, minimum=0, maximum=10**9)
            return Response({"count": qs.count(), "limit": limit, "offset": offset,
                             "results": SubjectSerializer(qs[offset:offset + limit], many=True).data})
        return Response(SubjectSerializer(qs, many=True).data)


@extend_schema_view(get=extend_schema(responses=SubjectSerializer))
class SubjectDetailView(APIView):
    def get(self, request, pk):
        return Response(SubjectSerializer(_subject_or_404(request.user, pk)).data)


@extend_schema_view(post=extend_schema(request=RevealSerializer, responses=OpenApiTypes.OBJECT))
class SubjectRevealView(APIView):
    """POST {"fields": ["phone", ...]}: the full values, for field staff in scope; logged."""

    def post(self, request, pk):
        subject = _subject_or_404(request.user, pk)
        ser = RevealSerializer(data=request.data)
        if not ser.is_valid():
            raise RuleViolation("reveal_fields", _("Send {\"fields\": [...]} with some of: %(f)s")
                                % {"f": ", ".join(SENSITIVE)})
        try:
            values = subject_reveal(user=request.user, subject=subject, fields=ser.validated_data["fields"])
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response({"id": subject.pk, "fields": values})


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("grid", int), OpenApiParameter("category", str)],
                                     responses={(200, "text/csv"): OpenApiTypes.BINARY}))
class SubjectExportView(APIView):
    """CSV of the subjects in your scope, sensitive values masked."""

    @limit_export
    def get(self, request):
        qs = selectors.subject_list(user=request.user, grid_id=_int_param(request, "grid"),
                                    category=_text_param(request, "category"))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subjects.csv"'
        response.write("\ufeff")  # Excel reads UTF-8 Chinese only with a BOM
        w = csv_writer(response)
        w.writerow(["id", "kind", "name", "category", "address", "grid_code", "needs", "contact", *SENSITIVE])
        n = 0
        with bounded_export():
            for s in qs:
                w.writerow([s.pk, s.kind, s.name, s.get_category_display(), s.address.full_text,
                            s.grid.code if s.grid else "", s.needs, s.contact,
                            *[mask(f, getattr(s, f)) for f in SENSITIVE]])
                n += 1
        audit_record(action="export", request=request, target_type="subjects.Subject", rows=n, format="csv")
        return response


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("subject", int), OpenApiParameter("limit", int)],
                      responses=VisitSerializer(many=True)),
    post=extend_schema(request=VisitCreateSerializer, responses=VisitSerializer))
class VisitListView(APIView):
    """GET: visits in your scope (?subject=); POST: record a visit (field staff in scope)."""

    def get(self, request):
        qs = selectors.visit_list(user=request.user, subject_id=_int_param(request, "subject"))
        page = paginate(request, qs, default=500, maximum=5000)
        return with_headers(Response(VisitSerializer(page.rows, many=True).data), page)

    def post(self, request):
        ser = VisitCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        subject = _subject_or_404(request.user, ser.validated_data["subject"])
        if not selectors.subject_can_reveal(user=request.user, subject=subject):
            raise PermissionDenied(_("Only grid staff responsible for this subject record visits."))
        data = dict(ser.validated_data)
        data.pop("subject")

        def write():
            visit = visit_create(subject=subject, staff=request.user, **data)
            return Response(VisitSerializer(visit).data, status=201)

        # A visit recorded offline is replayed with its Idempotency-Key: one visit, however often sent.
        return idempotent_write(request, route="visit", write=write)


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("within", int), OpenApiParameter("grid", int)],
                                     responses=OpenApiTypes.OBJECT))
class VisitDueView(APIView):
    """Subjects in your scope due for a visit within ?within=<days> (default 14), overdue first."""

    def get(self, request):
        within = _int_param(request, "within", 14, minimum=0, maximum=3650)
        rows = selectors.visit_due_list(user=request.user, grid_id=_int_param(request, "grid"), within_days=within)
        page = paginate(request, rows, default=1000, maximum=5000)
        return Response({**envelope(page, page.rows), "overdue": sum(r["overdue"] for r in rows)})


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("level", int, required=True)],
                                     responses=OpenApiTypes.OBJECT))
class CoverageView(APIView):
    """GET ?level=N: one row per base grid of level N in your scope."""

    def get(self, request):
        level = _int_param(request, "level", minimum=0, maximum=100)
        if level is None:
            raise RuleViolation("bad_parameter", _("level is required (e.g. ?level=4)"))
        return Response(selectors.coverage_list(user=request.user, level=level))


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("subject", int)], responses=OpenApiTypes.OBJECT))
class RevealLogView(APIView):
    """The access log: administrators see all entries, others their own. ?subject=<id>"""

    def get(self, request):
        qs = selectors.reveal_log_list(user=request.user, subject_id=_int_param(request, "subject"))
        page = paginate(request, qs, default=1000, maximum=1000)
        return with_headers(Response([{"id": r.pk, "user": r.user.username, "subject": r.subject_id,
                                       "fields": r.fields, "at": r.at} for r in page.rows]), page)


@extend_schema_view(get=extend_schema(parameters=[
    OpenApiParameter("lon", float), OpenApiParameter("lat", float), OpenApiParameter("crs", str),
    OpenApiParameter("address", str)], responses=OpenApiTypes.OBJECT))
class ServiceCardView(APIView):
    """Public: ?lon=&lat=[&crs=] or ?address=<text> -> the grid, its station and the staff who
    agreed to be shown. Nothing else about anyone."""
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        params = request.query_params
        address = (P.text(params.get("address"), "address", max_length=200) or "").strip()
        address_id = P.identifier(params.get("address_id"), "address_id")
        candidates = None
        if address_id is not None:
            card = selectors.service_card_get(address_id=address_id)
        elif address:
            candidates = selectors.service_card_candidates(address=address)
            card = selectors.service_card_get(address_id=candidates[0]["id"]) if candidates else None
            if card is not None:
                # The card is for the best match; a vague address also lists the others, scored.
                card["candidates"] = candidates
                card["clear"] = selectors.service_card_is_clear(candidates)
        elif params.get("lon") is not None or params.get("lat") is not None:
            lon, lat = to_storage(P.number(params.get("lon"), "lon"), P.number(params.get("lat"), "lat"),
                                  P.text(params.get("crs"), "crs", max_length=20) or "wgs84")
            card = selectors.service_card_get(lon=lon, lat=lat)
        else:
            raise RuleViolation("bad_parameter", _("Give an address, or lon and lat"))
        if card is None:
            return Response({"detail": _("No grid found for this place.")}, status=404)
        return Response(card)
