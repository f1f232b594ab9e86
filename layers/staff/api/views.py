from rest_framework.response import Response
from rest_framework.views import APIView

from layers.staff.models import Assignment
from layers.staff.selectors import scope_q, user_roles


class StaffListView(APIView):
    """Assignments on grids in your scope: who answers for which grid, with which duties.
    ?grid=<code prefix>&role="""

    def get(self, request):
        qs = (Assignment.objects.filter(scope_q(user=request.user, field="grid"), active=True)
              .select_related("user", "grid").order_by("grid__code", "role", "user__username"))
        if request.query_params.get("grid"):
            qs = qs.filter(grid__code__startswith=request.query_params["grid"])
        if request.query_params.get("role"):
            qs = qs.filter(role=request.query_params["role"])
        return Response([{"username": a.user.username, "name": a.user.get_full_name() or a.user.username,
                          "role": a.role, "grid_id": a.grid_id, "grid_code": a.grid.code, "grid_name": a.grid.name,
                          "duties": a.duties} for a in qs[:5000]])


class MeView(APIView):
    """The acting user's roles and grids."""

    def get(self, request):
        rows = Assignment.objects.filter(user=request.user, active=True).select_related("grid")
        return Response({"username": request.user.username, "name": request.user.get_full_name(),
                         "roles": sorted(user_roles(user=request.user)),
                         "assignments": [{"role": a.role, "grid_id": a.grid_id,
                                          "grid_code": a.grid.code if a.grid else None, "duties": a.duties}
                                         for a in rows]})
