from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core.errors import RuleViolation
from layers.core.ratelimits import export_refusal
from layers.networks.selectors import network_overview_list

from .. import selectors
from ..exports import table_response
from ..services import assessment_ensure
from .serializers import AssessmentQuerySerializer, OverviewQuerySerializer

FLAG_LABELS = {
    "no_staff": gettext_lazy("no staff"), "no_head": gettext_lazy("no grid head"), "no_station": gettext_lazy("no station"),
    "households_below_band": gettext_lazy("households below band"), "households_above_band": gettext_lazy("households above band"),
    "overdue_share_high": gettext_lazy("many overdue cases"),
}


def _query(serializer_class, request) -> dict:
    s = serializer_class(data=request.query_params)
    if not s.is_valid():
        field, errors = next(iter(s.errors.items()))
        raise RuleViolation("bad_parameter", f"{field}: {errors[0]}")
    return s.validated_data


def _pct(v):
    return None if v is None else round(100 * v, 1)


class OverviewView(APIView):
    """GET ?level=N[&month=YYYY-MM][&sort=..&order=asc|desc][&flag=..][&q=..][&format=csv|xlsx]:
    one row per grid of level N in your scope, with the figures leaders rank grids by."""

    @extend_schema(parameters=[OverviewQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = _query(OverviewQuerySerializer, request)
        period = selectors.period_month(q["month"]) if q.get("month") else selectors.period_default()
        if q["format"] != "json" and (refused := export_refusal(request)) is not None:
            return refused
        if q["network"] == "base":
            rows = selectors.overview_list(user=request.user, level=q["level"], period=period)
        else:
            rows = network_overview_list(user=request.user, level=q["level"], start=period.start, end=period.end,
                                         network=q["network"])
        rows = selectors.overview_sorted(rows, sort=q["sort"], descending=q["order"] == "desc",
                                         flag=q.get("flag"), text=q.get("q"))
        if q["format"] != "json":
            header = [_("code"), _("name"), _("households"), _("grid staff"), _("households per staff member"),
                      _("visits within cadence (%)"), _("open"), _("overdue"), _("escalated"), _("received"),
                      _("closure rate (%)"), _("on-time closure rate (%)"), _("satisfaction (1-5)"), _("patrol hours"), _("flags")]
            table = [[r["grid"]["code"], r["grid"]["name"], r["households"], r["staff"], r["households_per_staff"],
                      _pct(r["visited_within_cadence"]), r["open"], r["overdue"], r["escalated"], r["received"],
                      _pct(r["closure_rate"]), _pct(r["on_time_rate"]), r["satisfaction"], r["patrol_hours"],
                      "、".join(str(FLAG_LABELS.get(f, f)) for f in r["flags"])] for r in rows]
            if q["network"] != "base":
                header += [_("matters raised"), _("matters raised, open"), _("matters raised, closed")]
                table = [t + [r["raised"], r["raised_open"], r["raised_closed"]] for t, r in zip(table, rows)]
            return table_response(header=header, rows=table, fmt=q["format"], title=_("overview"),
                                  filename=f"overview-level{q['level']}-{period.start:%Y%m%d}", request=request)
        body = {"level": q["level"], "period": period.as_dict(), "count": len(rows), "rows": rows}
        if q["network"] != "base":
            body["network"] = q["network"]
        return Response(body)


class AssessmentView(APIView):
    """GET ?month=YYYY-MM&level=N[&format=csv|xlsx]: the month's assessment of every grid of level
    N in your scope (score 0-100, rank within the level, the indicators and figures behind it),
    and the staff assessments on those grids."""

    @extend_schema(parameters=[AssessmentQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = _query(AssessmentQuerySerializer, request)
        if q["format"] != "json" and (refused := export_refusal(request)) is not None:
            return refused
        assessment_ensure(month=q["month"])
        rows = selectors.assessment_list(user=request.user, month=q["month"], level=q["level"])
        staff = selectors.staff_assessment_list(user=request.user, month=q["month"], level=q["level"])
        if q["format"] != "json":
            keys = ("closure_rate", "on_time_rate", "satisfaction", "visit_coverage", "staffing")
            header = [_("rank"), _("code"), _("name"), _("score"), _("closure rate (%)"), _("on-time closure rate (%)"),
                      _("satisfaction (%)"), _("visits within cadence (%)"), _("staffing (%)"), _("received"),
                      _("closed"), _("households"), _("grid staff")]
            table = [[a.rank, a.grid.code, a.grid.name, a.score,
                      *[_pct(a.indicators["values"].get(k)) for k in keys],
                      a.indicators["figures"]["received"], a.indicators["figures"]["closed"],
                      a.indicators["figures"]["households"], a.indicators["figures"]["staff"]] for a in rows]
            return table_response(header=header, rows=table, fmt=q["format"], title=_("assessment"),
                                  filename=f"assessment-{q['month']:%Y-%m}-level{q['level']}", request=request)
        return Response({
            "month": f"{q['month']:%Y-%m}", "level": q["level"],
            "weights": rows[0].weights if rows else None,
            "rows": [{"grid": {"id": a.grid_id, "code": a.grid.code, "name": a.grid.name, "level": a.level},
                      "score": a.score, "rank": a.rank, **a.indicators["values"],
                      "figures": a.indicators["figures"], "flags": a.indicators["flags"]} for a in rows],
            "staff": [{"user": s.user_id, "name": _staff_name(s.user), "grid": s.grid.code, "role": s.role,
                       "score": s.score, **s.indicators} for s in staff],
        })


def _staff_name(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return profile.display_name if profile else user.get_full_name() or user.username
