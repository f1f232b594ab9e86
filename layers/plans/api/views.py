"""Thin API over the plan services. Planner role only; plans out of scope are 404."""
import json

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core import params as P
from layers.core.paging import paginate, with_headers
from layers.core.errors import RuleViolation
from layers.grids.models import Grid

from .. import services
from ..autopartition import plan_autopartition
from ..models import Plan
from ..selectors import plan_get, plan_list, planner_may_plan, planner_reference
from .serializers import (AutopartitionIn, DrawIn, GridUpdateIn, MergeIn, NoInput, PlanCreateIn, PublishIn, SplitIn,
                          read)


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
                     "status": plan.status, "status_label": str(plan.get_status_display()), "level": plan.level, "cursor": plan.cursor,
                     "can_redo": plan.edits.filter(seq__gt=plan.cursor).exists(),
                     "author": plan.author_id},
            "problems": services.plan_validate(plan=plan) if problems else []}


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("parent", int), OpenApiParameter("status", str)], responses=OpenApiTypes.OBJECT),
    post=extend_schema(request=PlanCreateIn, responses=OpenApiTypes.OBJECT))
class PlanListView(APIView):
    def get(self, request):
        q = request.query_params
        qs = plan_list(user=request.user, parent=P.identifier(q.get("parent"), "parent"),
                       status=P.text(q.get("status"), "status", max_length=20))
        page = paginate(request, qs, default=200, maximum=1000)
        return with_headers(Response([{"id": p.pk, "parent": p.parent_id, "parent_code": p.parent.code,
                                       "status": p.status, "status_label": str(p.get_status_display()),
                                       "name": p.name, "author": p.author.username if p.author else None,
                                       "cursor": p.cursor, "created_at": p.created_at, "updated_at": p.updated_at}
                                      for p in page.rows]), page)

    def post(self, request):
        d = read(PlanCreateIn, request.data)
        parent = Grid.objects.filter(pk=d["parent"]).first()
        if parent is None:
            raise RuleViolation("parent_unknown", _("parent: a grid id is required"))
        if not planner_may_plan(user=request.user, parent=parent):
            raise Http404
        plan = services.plan_create(parent=parent, user=request.user, name=d["name"])
        return Response(plan_payload(plan), status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class PlanDetailView(APIView):
    def get(self, request, pk):
        return Response(plan_payload(_plan(request, pk)))


class _PlanAction(APIView):
    """POST /api/plans/{id}/<action>/: one edit, answered with the whole plan and its problems.
    Each action is its own view with its own input serializer."""
    input = NoInput

    def post(self, request, pk):
        plan = _plan(request, pk)
        self.perform(plan, read(self.input, request.data), request.user)
        return Response(plan_payload(Plan.objects.get(pk=plan.pk)))

    def perform(self, plan: Plan, data: dict, user) -> None:
        raise NotImplementedError


@extend_schema_view(post=extend_schema(request=SplitIn, responses=OpenApiTypes.OBJECT))
class PlanSplitView(_PlanAction):
    input = SplitIn

    def perform(self, plan, data, user):
        grid = P.identifier(data["grid"], "grid") if not isinstance(data["grid"], str) else data["grid"]
        services.plan_split(plan=plan, grid=grid, line=data["line"], user=user, crs=data["crs"])


@extend_schema_view(post=extend_schema(request=MergeIn, responses=OpenApiTypes.OBJECT))
class PlanMergeView(_PlanAction):
    input = MergeIn

    def perform(self, plan, data, user):
        services.plan_merge(plan=plan, grids=[P.identifier(g, "grids") if not isinstance(g, str) else g
                                              for g in data["grids"][:1000]], user=user)


@extend_schema_view(post=extend_schema(request=DrawIn, responses=OpenApiTypes.OBJECT))
class PlanDrawView(_PlanAction):
    input = DrawIn

    def perform(self, plan, data, user):
        services.plan_draw(plan=plan, geometry=data["geometry"], name=data["name"], kind=data["kind"],
                           use=data["use"], user=user)


@extend_schema_view(post=extend_schema(request=NoInput, responses=OpenApiTypes.OBJECT))
class PlanUndoView(_PlanAction):
    def perform(self, plan, data, user):
        services.plan_undo(plan=plan, user=user)


@extend_schema_view(post=extend_schema(request=NoInput, responses=OpenApiTypes.OBJECT))
class PlanRedoView(_PlanAction):
    def perform(self, plan, data, user):
        services.plan_redo(plan=plan, user=user)


@extend_schema_view(post=extend_schema(request=NoInput, responses=OpenApiTypes.OBJECT))
class PlanDiscardView(_PlanAction):
    def perform(self, plan, data, user):
        services.plan_discard(plan=plan, user=user)


@extend_schema_view(post=extend_schema(request=AutopartitionIn, responses=OpenApiTypes.OBJECT))
class PlanAutopartitionView(APIView):
    def post(self, request, pk):
        plan = _plan(request, pk)
        d = read(AutopartitionIn, request.data)
        report = plan_autopartition(plan=plan, user=request.user, target_households=d["target_households"],
                                    band=d["band"], lines=d["lines"], crs=d["crs"], strict_lines=d["strict_lines"])
        out = plan_payload(Plan.objects.get(pk=plan.pk))
        out["autopartition"] = report
        return Response(out)


@extend_schema_view(post=extend_schema(request=NoInput, responses=OpenApiTypes.OBJECT))
class PlanPublishView(APIView):
    def post(self, request, pk):
        plan = _plan(request, pk)
        d = read(PublishIn, request.data)
        # A PlanConflict answers 409 through the error channel (layers/core/api.py).
        return Response(services.plan_publish(plan=plan, user=request.user, assignments=d["assignments"]))


@extend_schema_view(patch=extend_schema(request=GridUpdateIn, responses=OpenApiTypes.OBJECT))
class PlanGridView(APIView):
    def patch(self, request, pk, gid):
        plan = _plan(request, pk)
        d = read(GridUpdateIn, request.data)
        services.plan_update_grid(plan=plan, grid=gid, user=request.user, geometry=d["geometry"],
                                  name=d["name"], kind=d["kind"], use=d["use"])
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
        return Response(services.plan_impact_for(user=request.user, plan=_plan(request, pk)))


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("parent", int, required=True)],
                                      responses=OpenApiTypes.OBJECT))
class PlanReferenceView(APIView):
    """GET /api/plans/reference/?parent=ID: the layers a planner draws against (the parent's
    named children, its neighbours, its address points), with or without a basemap."""

    def get(self, request):
        parent = P.identifier(request.query_params.get("parent"), "parent")
        if parent is None:
            raise RuleViolation("parent_unknown", _("parent: a grid id is required"))
        try:
            return Response(planner_reference(user=request.user, parent=parent))
        except Grid.DoesNotExist:
            raise Http404
