"""Thin API over the plan services. Planner role only; plans out of scope are 404."""
import json

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core import params as P
from layers.core.errors import RuleViolation
from layers.grids.models import Grid

from .. import services
from ..autopartition import plan_autopartition
from ..models import Plan
from ..selectors import plan_get, plan_list, planner_may_plan


def _body(serializer_name: str, **fields):
    return inline_serializer(name=serializer_name, fields=fields)


_GEOMETRY = serializers.JSONField(required=False, help_text="GeoJSON geometry (WGS84 unless crs)")
# One body for every plan action; each action reads the fields it needs.
PLAN_ACTION = _body(
    "PlanAction", crs=serializers.CharField(required=False), grid=serializers.IntegerField(required=False),
    line=_GEOMETRY, grids=serializers.ListField(child=serializers.IntegerField(), required=False),
    geometry=_GEOMETRY, name=serializers.CharField(required=False), kind=serializers.CharField(required=False),
    use=serializers.CharField(required=False), target_households=serializers.IntegerField(required=False),
    band=serializers.ListField(child=serializers.IntegerField(), required=False),
    lines=serializers.ListField(child=serializers.JSONField(), required=False),
    strict_lines=serializers.BooleanField(required=False))


def _plan(request, pk) -> Plan:
    try:
        return plan_get(user=request.user, pk=int(pk))
    except (Plan.DoesNotExist, ValueError):
        raise Http404


def plan_payload(plan: Plan, *, problems: bool = True) -> dict:
    """The plan as GeoJSON of its grids, with its problems (each with a geometry)."""
    features = [{"type": "Feature", "id": g.pk, "geometry": json.loads(g.geometry.geojson),
                 "properties": {"id": g.pk, "name": g.name, "kind": g.kind, "use": g.use, "origin": g.origin,
                                "source_grid": g.source_grid_id,
                                "code": g.source_grid.code if g.source_grid_id else None}}
                for g in plan.grids.select_related("source_grid").order_by("pk")]
    return {"type": "FeatureCollection", "features": features,
            "plan": {"id": plan.pk, "parent": plan.parent_id, "parent_code": plan.parent.code,
                     "parent_name": plan.parent.name, "parent_geometry": json.loads(plan.parent.geometry.geojson),
                     "status": plan.status, "level": plan.level, "cursor": plan.cursor,
                     "can_redo": plan.edits.filter(seq__gt=plan.cursor).exists(),
                     "author": plan.author_id},
            "problems": services.plan_validate(plan=plan) if problems else []}


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("parent", int), OpenApiParameter("status", str)],
                      responses=OpenApiTypes.OBJECT),
    post=extend_schema(request=_body("PlanCreate", parent=serializers.IntegerField(),
                                     name=serializers.CharField(required=False)), responses=OpenApiTypes.OBJECT))
class PlanListView(APIView):
    def get(self, request):
        q = request.query_params
        qs = plan_list(user=request.user, parent=P.identifier(q.get("parent"), "parent"),
                       status=P.text(q.get("status"), "status", max_length=20))
        return Response([{"id": p.pk, "parent": p.parent_id, "parent_code": p.parent.code, "status": p.status,
                          "author": p.author.username if p.author else None, "cursor": p.cursor,
                          "created_at": p.created_at, "updated_at": p.updated_at} for p in qs[:200]])

    def post(self, request):
        d = P.body_object(request.data)
        try:
            parent = Grid.objects.get(pk=P.identifier(d.get("parent"), "parent"))
        except Grid.DoesNotExist:
            raise RuleViolation("parent_unknown", _("parent: a grid id is required"))
        if not planner_may_plan(user=request.user, parent=parent):
            raise Http404
        plan = services.plan_create(parent=parent, user=request.user,
                                    name=(P.text(d.get("name"), "name", max_length=100) or ""))
        return Response(plan_payload(plan), status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PlanDetailView(APIView):
    def get(self, request, pk):
        return Response(plan_payload(_plan(request, pk)))


@extend_schema_view(post=extend_schema(request=PLAN_ACTION, responses=OpenApiTypes.OBJECT))
class PlanActionView(APIView):
    """POST /api/plans/{id}/<action>/: one edit, answered with the whole plan and its problems."""
    action = ""

    def post(self, request, pk):
        plan = _plan(request, pk)
        d, u = P.body_object(request.data), request.user
        crs = P.text(d.get("crs"), "crs", max_length=20) or "wgs84"
        for name in ("geometry", "line"):
            P.geometry_limits(d.get(name), name)
        if isinstance(d.get("lines"), list):
            if len(d["lines"]) > settings.GEOGRID_MAX_RINGS:
                raise RuleViolation("bad_parameter", _("At most %(n)d lines") % {"n": settings.GEOGRID_MAX_RINGS})
            for line in d["lines"]:
                P.geometry_limits(line, "lines")
        if self.action == "split":
            services.plan_split(plan=plan, grid=P.identifier(d.get("grid"), "grid"), line=d.get("line"), user=u,
                                crs=crs)
        elif self.action == "merge":
            grids = d.get("grids")
            if not isinstance(grids, list):
                raise RuleViolation("merge_needs_two", "grids: a list of plan grid ids is required")
            services.plan_merge(plan=plan, grids=[P.identifier(g, "grids") for g in grids[:1000]], user=u)
        elif self.action == "draw":
            services.plan_draw(plan=plan, geometry=d.get("geometry"), name=P.text(d.get("name"), "name", max_length=100)
                               or "", kind=P.text(d.get("kind"), "kind", max_length=50) or "base",
                               use=P.text(d.get("use"), "use", max_length=200) or "", user=u)
        elif self.action == "undo":
            services.plan_undo(plan=plan, user=u)
        elif self.action == "redo":
            services.plan_redo(plan=plan, user=u)
        elif self.action == "discard":
            services.plan_discard(plan=plan, user=u)
        elif self.action == "autopartition":
            report = plan_autopartition(plan=plan, user=u, target_households=d.get("target_households"),
                                        band=d.get("band"), lines=d.get("lines"), crs=crs,
                                        strict_lines=d.get("strict_lines") in (True, "true", "1", 1))
            out = plan_payload(Plan.objects.get(pk=plan.pk))
            out["autopartition"] = report
            return Response(out)
        elif self.action == "publish":
            try:
                result = services.plan_publish(plan=plan, user=u)
            except services.PlanConflict as conflict:
                return Response(conflict.as_dict(), status=status.HTTP_409_CONFLICT)
            return Response(result)
        return Response(plan_payload(Plan.objects.get(pk=plan.pk)))


@extend_schema_view(patch=extend_schema(request=_body(
    "PlanGridUpdate", geometry=_GEOMETRY, name=serializers.CharField(required=False),
    kind=serializers.CharField(required=False), use=serializers.CharField(required=False)),
    responses=OpenApiTypes.OBJECT))
class PlanGridView(APIView):
    def patch(self, request, pk, gid):
        plan = _plan(request, pk)
        d = P.body_object(request.data)
        P.geometry_limits(d.get("geometry"), "geometry")
        services.plan_update_grid(plan=plan, grid=gid, user=request.user, geometry=d.get("geometry"),
                                  name=P.text(d.get("name"), "name", max_length=100),
                                  kind=P.text(d.get("kind"), "kind", max_length=50),
                                  use=P.text(d.get("use"), "use", max_length=200))
        return Response(plan_payload(Plan.objects.get(pk=plan.pk)))


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PlanValidateView(APIView):
    def get(self, request, pk):
        problems = services.plan_validate(plan=_plan(request, pk))
        return Response({"problems": problems,
                         "publishable": not any(p["severity"] == "error" for p in problems)})


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PlanImpactView(APIView):
    def get(self, request, pk):
        return Response(services.plan_impact(plan=_plan(request, pk)))
