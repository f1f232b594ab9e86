"""The party-building network's API: its grids (GeoJSON), and the matters it raises (POST hands one
to the administrative grid; GET lists those of the user's party subtree with their status)."""
import hashlib
import json

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core import params as P
from layers.core.paging import envelope, feature_collection, paginate, with_headers
from layers.core.errors import RuleViolation
from layers.core.edge import SafeFormParser, SafeJSONParser
from layers.grids.models import Grid
from layers.grids.selectors import grids_geojson_features
from layers.incidents.models import Incident
from layers.incidents.services import IdempotencyConflict

from ..selectors import party_grid_get, party_grid_list, party_matter_events, party_matter_get, party_matter_list
from ..services import party_matter_raise
from .serializers import matter_detail, matter_summary

MATTER_FIELDS = ("grid", "lon", "lat", "crs", "type", "incident_class", "description", "note")


def body_hash(fields: dict) -> str:
    canon = {k: str(v) for k, v in fields.items() if v not in (None, "")}
    return hashlib.sha256(json.dumps(canon, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def raise_from(request, data: dict):
    """Shared by the API and the phone page: parse, find the user's party grid (404 out of
    scope), hand the matter over."""
    fields = {n: P.text(data.get(n), n, max_length=5000) for n in MATTER_FIELDS}
    grid_id = P.id_or_none(fields["grid"])
    if grid_id is None:
        raise RuleViolation("grid_required", _("Choose the party grid where the matter was found"))
    try:
        grid = party_grid_get(user=request.user, pk=grid_id)
    except Grid.DoesNotExist:
        raise Http404(_("No such party grid"))
    return party_matter_raise(user=request.user, grid=grid, lon=fields["lon"], lat=fields["lat"],
                              crs=fields["crs"] or "wgs84", description=fields["description"] or "",
                              type=fields["type"], incident_class=fields["incident_class"] or "general",
                              note=fields["note"] or "", idempotency_key=request.headers.get("Idempotency-Key"),
                              body_hash=body_hash(fields))


class PartyGridListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("level", int)], responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
                   summary="The party-building grids (general branches, party groups) as GeoJSON")
    def get(self, request):
        level = P.integer(request.query_params.get("level"), "level", minimum=1, maximum=99)
        page = paginate(request, party_grid_list(level=level).order_by("code", "pk"), default=20_000, maximum=20_000)
        features = grids_geojson_features(Grid.all_networks.filter(pk__in=[g.pk for g in page.rows]))
        return with_headers(HttpResponse(feature_collection("party_grids", page, features),
                                         content_type="application/geo+json"), page)


class PartyMatterListView(APIView):
    parser_classes = [SafeJSONParser, SafeFormParser]

    @extend_schema(parameters=[OpenApiParameter("status", str, description="comma-separated statuses")],
                   responses=OpenApiTypes.OBJECT, summary="Matters your party grids raised, with their status")
    def get(self, request):
        st = P.text(request.query_params.get("status"), "status", max_length=200)
        qs = party_matter_list(user=request.user, status=[s for s in st.split(",") if s] if st else None)
        page = paginate(request, qs, default=500, maximum=1000)
        return Response(envelope(page, [matter_summary(i) for i in page.rows]))

    @extend_schema(request=inline_serializer("PartyMatter", {
        "grid": serializers.IntegerField(), "lon": serializers.FloatField(), "lat": serializers.FloatField(),
        "crs": serializers.CharField(required=False), "type": serializers.CharField(),
        "incident_class": serializers.CharField(required=False), "description": serializers.CharField(),
        "note": serializers.CharField(required=False)}),
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)], responses=OpenApiTypes.OBJECT,
        summary="Hand a matter found in your party grid to the administrative grid holding its point")
    def post(self, request):
        try:
            incident, created = raise_from(request, P.body_object(request.data))
        except IdempotencyConflict as err:
            return Response(err.as_dict(), status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        incident = party_matter_get(user=request.user, pk=incident.pk)
        return Response(matter_summary(incident), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PartyMatterDetailView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One matter your party grids raised: origin, hand-over, outcome")
    def get(self, request, pk):
        try:
            incident = party_matter_get(user=request.user, pk=pk)
        except Incident.DoesNotExist:
            raise Http404(_("No such matter"))
        return Response(matter_detail(incident, party_matter_events(incident=incident)))
