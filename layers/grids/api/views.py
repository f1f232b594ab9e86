"""Grid API: thin views over selectors. Collections are GeoJSON built inside PostGIS."""
import json

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.audit.services import audit_record
from layers.core import params as P
from layers.core.paging import feature_collection, paginate, with_headers
from layers.core.exports import bounded_export
from layers.core.ratelimits import limit_export

from ..io import EXPORT_FORMATS, grids_export_bytes
from ..models import Grid, GridKind
from ..selectors import (grid_ancestors, grid_coverage_report, grid_get, grid_list, grids_geojson,
                         grids_geojson_features)

GEOJSON = "application/geo+json"
# A whole city's grids of a level in one answer (the overview map); more pages on.
GRIDS_PAGE = 20_000

LIST_PARAMS = [
    OpenApiParameter("kind", str, description="base, special, or a special kind (e.g. religious_site)"),
    OpenApiParameter("parent", int, description="parent grid id"),
    OpenApiParameter("level", int),
    OpenApiParameter("code", str, description="code prefix"),
    OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat"),
    OpenApiParameter("date", OpenApiTypes.DATE, description="grids valid on this date (default: current)"),
    OpenApiParameter("tolerance", float, description="simplify tolerance in degrees (0 = exact)"),
]


def _int(params, name):
    return P.integer(params.get(name), name, minimum=-P.BIGINT_MAX)


def _bbox(value):
    return P.bbox(value)  # finite numbers only: NaN passes every "min < max" test


def filtered_grids(params):
    """The grid queryset a request's query parameters describe (shared by list and export)."""
    kind = P.text(params.get("kind"), "kind", max_length=50)
    if kind and kind != "special" and kind not in GridKind.values:
        raise ValidationError({"kind": _("unknown kind %(k)s; use base, special or one of %(all)s")
                               % {"k": kind, "all": ", ".join(GridKind.values)}})
    on = P.date(params.get("date"), "date")
    return grid_list(kind=kind, level=_int(params, "level"), parent=_int(params, "parent"),
                     bbox=_bbox(params.get("bbox")), code=P.text(params.get("code"), "code", max_length=50), on=on)


def _tolerance(params) -> float:
    tol = P.number(params.get("tolerance"), "tolerance", default=0.0)
    if not 0 <= tol <= 0.01:
        raise ValidationError({"tolerance": _("must be between 0 and 0.01 degrees")})
    return tol


def _get_or_404(pk) -> Grid:
    try:
        return grid_get(pk=int(pk))
    except (Grid.DoesNotExist, ValueError):
        raise Http404(_("No such grid"))


class GridListView(APIView):
    @extend_schema(parameters=LIST_PARAMS, responses={(200, GEOJSON): OpenApiTypes.OBJECT},
                   summary="Grids as a GeoJSON FeatureCollection")
    def get(self, request):
        page = paginate(request, filtered_grids(request.query_params).order_by("code", "pk"),
                        default=GRIDS_PAGE, maximum=GRIDS_PAGE)
        features = grids_geojson_features(Grid.objects.filter(pk__in=[g.pk for g in page.rows]),
                                          tolerance=_tolerance(request.query_params))
        return with_headers(HttpResponse(feature_collection("grids", page, features), content_type=GEOJSON), page)


class GridDetailView(APIView):
    @extend_schema(responses={(200, GEOJSON): OpenApiTypes.OBJECT}, summary="One grid as a GeoJSON Feature")
    def get(self, request, pk):
        grid = _get_or_404(pk)
        fc = json.loads(grids_geojson(Grid.objects.filter(pk=grid.pk), with_area=True))
        feature = fc["features"][0]
        feature["properties"]["ancestors"] = [_brief(g) for g in grid_ancestors(grid=grid)]
        feature["properties"]["children"] = [_brief(g) for g in grid.children.filter(valid_to__isnull=True)]
        return Response(feature)


def _brief(g: Grid) -> dict:
    return {"id": g.pk, "code": g.code, "name": g.name, "level": g.level, "kind": g.kind}


class GridChildrenView(APIView):
    @extend_schema(responses={(200, GEOJSON): OpenApiTypes.OBJECT}, summary="A grid's current children")
    def get(self, request, pk):
        grid = _get_or_404(pk)
        qs = grid_list(parent=grid.pk, kind=P.text(request.query_params.get("kind"), "kind", max_length=50))
        return HttpResponse(grids_geojson(qs, tolerance=_tolerance(request.query_params)), content_type=GEOJSON)


class GridAncestorsView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A grid's chain from the top down to its parent")
    def get(self, request, pk):
        return Response([_brief(g) for g in grid_ancestors(grid=_get_or_404(pk))])


class GridCoverageView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT,
                   summary="Gaps and overlaps among a grid's base children (polygons, areas in m²)")
    def get(self, request, pk):
        return Response(grid_coverage_report(parent=_get_or_404(pk)))


class GridExportView(APIView):
    @extend_schema(parameters=LIST_PARAMS + [OpenApiParameter("format", str, enum=list(EXPORT_FORMATS))],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   summary="Export grids as GeoJSON, GeoPackage or zipped Shapefile")
    @limit_export
    def get(self, request):
        fmt = request.query_params.get("format", "geojson")
        if fmt not in EXPORT_FORMATS:
            raise ValidationError({"format": _("use one of %(f)s") % {"f": ", ".join(EXPORT_FORMATS)}})
        with bounded_export():
            data, content_type, ext = grids_export_bytes(filtered_grids(request.query_params), fmt=fmt)
        audit_record(action="export", request=request, target_type="grids.Grid", format=fmt)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="grids.{ext}"'
        return response
