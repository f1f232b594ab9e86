import csv

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core.crs import to_storage
from layers.core.errors import RuleViolation

from .. import selectors
from ..masking import mask
from ..models import Subject
from ..services import SENSITIVE, subject_create, subject_reveal, visit_create
from .serializers import RevealSerializer, SubjectCreateSerializer, SubjectSerializer, VisitCreateSerializer, VisitSerializer


def _int_param(request, name, default=None):
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise RuleViolation("bad_parameter", _("%(name)s must be an integer") % {"name": name})


def _subject_or_404(user, pk) -> Subject:
    try:
        return selectors.subject_get(user=user, pk=pk)
    except (Subject.DoesNotExist, ValueError):
        raise Http404


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
                                    category=request.query_params.get("category") or None,
                                    q=request.query_params.get("q") or None)
        if "limit" in request.query_params:
            pager = LimitOffsetPagination()
            page = pager.paginate_queryset(qs, request, view=self)
            return pager.get_paginated_response(SubjectSerializer(page, many=True).data)
        return Response(SubjectSerializer(qs, many=True).data)


class SubjectDetailView(APIView):
    def get(self, request, pk):
        return Response(SubjectSerializer(_subject_or_404(request.user, pk)).data)


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


class SubjectExportView(APIView):
    """CSV of the subjects in your scope, sensitive values masked."""

    def get(self, request):
        qs = selectors.subject_list(user=request.user, grid_id=_int_param(request, "grid"),
                                    category=request.query_params.get("category") or None)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subjects.csv"'
        response.write("\ufeff")  # Excel reads UTF-8 Chinese only with a BOM
        w = csv.writer(response)
        w.writerow(["id", "kind", "name", "category", "address", "grid_code", "needs", "contact", *SENSITIVE])
        for s in qs:
            w.writerow([s.pk, s.kind, s.name, s.get_category_display(), s.address.full_text,
                        s.grid.code if s.grid else "", s.needs, s.contact, *[mask(f, getattr(s, f)) for f in SENSITIVE]])
        return response


class VisitListView(APIView):
    """GET: visits in your scope (?subject=); POST: record a visit (field staff in scope)."""

    def get(self, request):
        qs = selectors.visit_list(user=request.user, subject_id=_int_param(request, "subject"))
        limit = _int_param(request, "limit", 500)
        return Response(VisitSerializer(qs[:max(1, min(limit, 5000))], many=True).data)

    def post(self, request):
        ser = VisitCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        subject = _subject_or_404(request.user, ser.validated_data["subject"])
        if not selectors.subject_can_reveal(user=request.user, subject=subject):
            raise PermissionDenied(_("Only grid staff responsible for this subject record visits."))
        data = dict(ser.validated_data)
        data.pop("subject")
        visit = visit_create(subject=subject, staff=request.user, **data)
        return Response(VisitSerializer(visit).data, status=201)


class VisitDueView(APIView):
    """Subjects in your scope due for a visit within ?within=<days> (default 14), overdue first."""

    def get(self, request):
        within = _int_param(request, "within", 14)
        rows = selectors.visit_due_list(user=request.user, grid_id=_int_param(request, "grid"),
                                        within_days=max(0, min(within, 3650)))
        return Response({"count": len(rows), "overdue": sum(r["overdue"] for r in rows), "results": rows})


class CoverageView(APIView):
    """GET ?level=N: one row per base grid of level N in your scope."""

    def get(self, request):
        level = _int_param(request, "level")
        if level is None:
            raise RuleViolation("bad_parameter", _("level is required (e.g. ?level=4)"))
        return Response(selectors.coverage_list(user=request.user, level=level))


class RevealLogView(APIView):
    """The access log: administrators see all entries, others their own. ?subject=<id>"""

    def get(self, request):
        qs = selectors.reveal_log_list(user=request.user, subject_id=_int_param(request, "subject"))
        return Response([{"id": r.pk, "user": r.user.username, "subject": r.subject_id, "fields": r.fields,
                          "at": r.at} for r in qs[:1000]])


class ServiceCardView(APIView):
    """Public: ?lon=&lat=[&crs=] or ?address=<text> -> the grid, its station and the staff who
    agreed to be shown. Nothing else about anyone."""
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        params = request.query_params
        address = (params.get("address") or "").strip()
        if address:
            if len(address) > 200:
                raise RuleViolation("bad_parameter", _("The address is too long"))
            card = selectors.service_card_get(address=address)
        elif params.get("lon") is not None or params.get("lat") is not None:
            lon, lat = to_storage(params.get("lon"), params.get("lat"), params.get("crs") or "wgs84")
            card = selectors.service_card_get(lon=lon, lat=lat)
        else:
            raise RuleViolation("bad_parameter", _("Give an address, or lon and lat"))
        if card is None:
            return Response({"detail": _("No grid found for this place.")}, status=404)
        return Response(card)
