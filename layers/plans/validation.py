"""Checking a plan's draft: each problem with its rule, a message, the plan grids and a geometry
for the map; "error" blocks publishing, "warning" does not. Overlap, gap and outside-the-parent
are the rules of the grids' geometry toolkit (layers/grids/geometry.py)."""
import json
from collections import defaultdict

import shapely
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from layers.core.sqlfiles import sql_loader
from layers.grids.geometry import gaps, outside, overlaps, polygonal, shp
from layers.grids.models import GridKind

from .models import Plan, PlanGrid

sql = sql_loader("plans")


def _problem(rule, message, grids, shape=None, severity="error", **extra) -> dict:
    return {"rule": rule, "detail": message, "grids": grids, "severity": severity,
            "geometry": json.loads(shapely.to_geojson(shape)) if shape is not None and not shape.is_empty else None,
            **extra}


def plan_households(*, plan: Plan) -> dict[int, dict]:
    """Addresses and households per plan grid (point-in-polygon against the draft)."""
    out = defaultdict(lambda: {"addresses": 0, "households": 0})
    for _aid, hh, _old, new in address_rows(plan):
        if new is not None:
            out[new]["addresses"] += 1
            out[new]["households"] += hh or 0
    return out


def address_rows(plan: Plan) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql("impact_addresses"), {"plan": plan.pk, "parent": plan.parent_id})
        return cur.fetchall()


def band_applies(pg: PlanGrid) -> bool:
    # Business-building and park grids hold few households by design; the band is for homes.
    return pg.kind == GridKind.BASE and pg.use in ("", "residential", "mixed")


def plan_validate(*, plan: Plan) -> list[dict]:
    """Problems of the draft, each with its rule, a message, the plan grid ids and a
    geometry for the map. severity "error" blocks publishing; "warning" does not."""
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("pk"))
    parent = shp(plan.parent.geometry)
    tol = settings.GEOGRID_OVERLAP_TOLERANCE_M2
    problems = []
    shapes = {}
    for pg in pgs:
        s = shp(pg.geometry)
        if not s.is_valid:
            problems.append(_problem("geometry_invalid", _("%(name)s is not a valid polygon: %(reason)s")
                                     % {"name": pg.name, "reason": shapely.is_valid_reason(s)}, [pg.pk], s))
            s = polygonal(shapely.make_valid(s))
        shapes[pg.pk] = s
        out = outside(s, parent, settings.GEOGRID_PARENT_TOLERANCE_M2)
        if out is not None:
            shape, area = out
            problems.append(_problem("outside_parent", _("%(name)s lies outside the parent by %(area).1f m²")
                                     % {"name": pg.name, "area": area}, [pg.pk], shape, area_m2=round(area, 2)))
    base = [pg for pg in pgs if pg.kind == GridKind.BASE]
    base_shapes = [shapes[pg.pk] for pg in base]
    for a, b, inter, area in overlaps(base_shapes, tol):
        problems.append(_problem("overlap", _("%(a)s and %(b)s overlap by %(area).1f m²")
                                 % {"a": base[a].name, "b": base[b].name, "area": area},
                                 [base[a].pk, base[b].pk], inter, area_m2=round(area, 2)))
    for gap, area in gaps(parent, base_shapes, tol):
        problems.append(_problem("gap", _("A gap of %(area).1f m² in the parent's coverage") % {"area": area},
                                 [], gap, area_m2=round(area, 2)))
    band = settings.GEOGRID_HOUSEHOLD_BAND.get(plan.level)
    if band:
        counts = plan_households(plan=plan)
        lo, hi = band
        for pg in base:
            if not band_applies(pg):
                continue
            hh = counts[pg.pk]["households"] if pg.pk in counts else 0
            if hh < lo or hh > hi:
                problems.append(_problem(
                    "household_band", _("%(name)s has %(hh)d households, outside the band %(lo)d-%(hi)d")
                    % {"name": pg.name, "hh": hh, "lo": lo, "hi": hi}, [pg.pk], shapes[pg.pk], severity="warning",
                    households=hh, band=[lo, hi]))
    return problems
