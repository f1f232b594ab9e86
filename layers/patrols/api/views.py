"""Patrol API: start, add points, end (the phone), list and tracks (in scope)."""
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core import params as P
from layers.core.paging import feature_collection, paginate
from layers.core.errors import RuleViolation
from layers.grids.models import Grid
from layers.idempotency.services import idempotent_write

from ..selectors import patrol_get, patrol_list, patrol_point_list
from ..services import PatrolConflict, patrol_add_points, patrol_end, patrol_start
from .serializers import _iso, patrol_feature, patrol_summary


def _conflict(err: PatrolConflict) -> Response:
    return Response(err.as_dict(), status=status.HTTP_409_CONFLICT)


def _int(params, name):
    """A whole number >= 0 in ASCII digits within bigint (main's edge validation, core.params)."""
    return P.integer(params.get(name), name, minimum=0)


def _when(params, name):
    return P.date_or_datetime(params.get(name), name)


def _filtered(request):
    p = request.query_params
    return patrol_list(user=request.user, member_id=_int(p, "member"), grid_id=_int(p, "grid"),
                       open_only=p.get("open") in ("1", "true"), since=_when(p, "since"), until=_when(p, "until"))


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT), post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class PatrolListStartView(APIView):
    """GET: patrols in your scope (?member=&grid=&open=1&since=&until=&limit=&offset=).
    POST {"grid": id?}: start a patrol (your own grid by default)."""

    def get(self, request):
        qs = _filtered(request)
        limit = min(max(_int(request.query_params, "limit") or 100, 1), 1000)
        offset = _int(request.query_params, "offset") or 0
        return Response({"count": qs.count(), "limit": limit, "offset": offset,
                         "results": [patrol_summary(p) for p in qs[offset:offset + limit]]})

    def post(self, request):
        grid = None
        gid = request.data.get("grid") if hasattr(request.data, "get") else None
        if gid not in (None, ""):
            try:
                grid_id = P.identifier(gid, "grid")
            except RuleViolation:
                raise RuleViolation("patrol_grid", _("grid must be a grid id")) from None
            grid = Grid.objects.filter(pk=grid_id, valid_to__isnull=True).first()
            if grid is None:
                raise RuleViolation("patrol_grid", _("Unknown grid %(id)s") % {"id": gid})

        def write():
            patrol = patrol_start(user=request.user, grid=grid)
            return Response(patrol_summary(patrol_get(user=request.user, pk=patrol.pk)), status=status.HTTP_201_CREATED)

        try:
            return idempotent_write(request, route="patrol-start", write=write)
        except PatrolConflict as err:
            return _conflict(err)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PatrolDetailView(APIView):
    def get(self, request, pk):
        patrol = patrol_get(user=request.user, pk=pk)
        body = patrol_feature(patrol)
        body["properties"]["points"] = [[round(pt.geometry.x, 7), round(pt.geometry.y, 7), int(pt.at.timestamp()),
                                         _iso(pt.at)] for pt in patrol_point_list(patrol=patrol)]
        body["properties"]["incidents"] = [{"id": r.incident_id, "ref": r.incident.ref, "status": r.incident.status}
                                           for r in patrol.reports.select_related("incident").order_by("id")]
        return Response(body)


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class PatrolPointsView(APIView):
    """POST {"points": [[lon, lat, unix_seconds], ...]} to your own patrol; honours Idempotency-Key."""

    def post(self, request, pk):
        patrol = patrol_get(user=request.user, pk=pk)
        points = request.data.get("points") if hasattr(request.data, "get") else None

        def write():
            return Response(patrol_add_points(patrol=patrol, user=request.user, points=points))

        try:
            return idempotent_write(request, route=f"patrol-points:{patrol.pk}", write=write)
        except PatrolConflict as err:
            return _conflict(err)


@extend_schema_view(post=extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT))
class PatrolEndView(APIView):
    def post(self, request, pk):
        patrol = patrol_get(user=request.user, pk=pk)

        def write():
            ended = patrol_end(patrol=patrol, user=request.user)
            return Response(patrol_summary(patrol_get(user=request.user, pk=ended.pk)))

        try:
            return idempotent_write(request, route=f"patrol-end:{patrol.pk}", write=write)
        except PatrolConflict as err:
            return _conflict(err)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PatrolGeoJSONView(APIView):
    """Tracks in your scope as a FeatureCollection named "patrols" (?member=&grid=&open=1&since=&until=,
    newest first), paged by limit (500, at most 1,000) and offset."""

    def get(self, request):
        page = paginate(request, _filtered(request), default=500, maximum=1000)
        features = json.dumps([patrol_feature(p) for p in page.rows], ensure_ascii=False, cls=DjangoJSONEncoder)
        return HttpResponse(feature_collection("patrols", page, features), content_type="application/geo+json")


