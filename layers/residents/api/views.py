"""Public API for residents (no login): report, follow by tracking code, rate once closed."""
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core import params as P
from layers.core.edge import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from layers.core.errors import RuleViolation
from layers.incidents.photos import MAX_PHOTOS, clean_photo

from ..models import PublicReport
from ..selectors import address_candidates, public_report_get, public_report_status
from ..services import NotYet, RateLimited, client_key, public_report_create, public_report_rate


class _Public(APIView):
    permission_classes = [AllowAny]
    # No session: a resident's request carries no cookie-borne identity (and so needs no CSRF token).
    authentication_classes = []


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class PublicReportCreateView(_Public):
    """POST {type, description, lon+lat | address, [photo...]} -> 201 {"code": ...}."""
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    def post(self, request):
        d = request.data
        photos = request.FILES.getlist("photo") if hasattr(request, "FILES") else []
        if len(photos) > MAX_PHOTOS:
            raise RuleViolation("photo_count", _("At most %(n)d photos per report") % {"n": MAX_PHOTOS})
        cleaned = [clean_photo(f, index=n) for n, f in enumerate(photos, start=1)]
        try:
            address = P.identifier(d.get("address") or None, "address")
        except RuleViolation:
            raise RuleViolation("address_unknown", _("Choose an address from the list")) from None
        try:
            report = public_report_create(client=client_key(request.META.get("REMOTE_ADDR", "")),
                                          description=str(d.get("description") or ""), type=d.get("type"),
                                          lon=d.get("lon"), lat=d.get("lat"), crs=d.get("crs") or "wgs84",
                                          address=address, photos=cleaned)
        except RateLimited as err:
            response = Response(err.as_dict(), status=status.HTTP_429_TOO_MANY_REQUESTS)
            response["Retry-After"] = "3600"
            return response
        return Response({"code": report.code, "status": report.incident.status,
                         "track_url": f"/public/track/?code={report.code}"}, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PublicReportStatusView(_Public):
    def get(self, request, code):
        report = public_report_get(code=code)
        if report is None:
            raise Http404
        return Response(public_report_status(report=report))


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class PublicReportRatingView(_Public):
    """POST {score: 1..5, note} once the case is closed; a second rating is refused (409)."""

    def post(self, request, code):
        try:
            report = public_report_rate(code=code, score=request.data.get("score"),
                                        note=str(request.data.get("note") or ""))
        except PublicReport.DoesNotExist:
            raise Http404
        except NotYet as err:
            return Response(err.as_dict(), status=status.HTTP_409_CONFLICT)
        return Response(public_report_status(report=report), status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PublicAddressSearchView(_Public):
    """GET ?q=<text>: registry addresses matching a resident's words, best first, with scores and
    the micro-grid of each (standard addresses are public; nothing about who lives there)."""

    def get(self, request):
        q = (request.query_params.get("q") or "").strip()
        if not q:
            raise RuleViolation("bad_parameter", _("Type an address to search for"))
        if len(q) > 200:
            raise RuleViolation("bad_parameter", _("The address is too long"))
        return Response({"q": q, "candidates": address_candidates(text=q)})
