"""Auto-partition: propose base children of a target household band for a plan's parent.

Method: recursive bisection weighted by households (k-d style). The parent is cut along the
longer axis of the current region where the cumulative households reach the share of the
cells on that side; cells are the parent clipped by the cut lines, so they tile the parent
exactly, are contiguous when the parent is convex-ish, and compact (cuts alternate axes).
spopt max-p / ReCom would follow roads better but are not installed; the report says for
each cell how far it is from the target, its Polsby-Popper compactness, and why a cell
cannot be within the band when that is so."""
import math

import shapely
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from pyproj import Geod

from layers.core.errors import RuleViolation
from layers.grids.geometry import order_west_east_north_south

from .models import Plan
from .services import _geos, _polygonal, _shp, plan_replace_grids

_GEOD = Geod(ellps="GRS80")


def polsby_popper(shape) -> float:
    """4πA/P²: 1 for a circle, ~0.785 for a square, near 0 for a sliver."""
    area, perimeter = _GEOD.geometry_area_perimeter(shape)
    return 4 * math.pi * abs(area) / perimeter ** 2 if perimeter else 0.0


def _points(plan: Plan) -> list[tuple[float, float, int]]:
    with connection.cursor() as cur:
        # Address points with their households inside the parent; ORM values_list would do,
        # but this keeps the coordinates as floats without building GEOS objects per row.
        cur.execute("SELECT ST_X(a.geometry), ST_Y(a.geometry), a.households FROM addresses_address a, grids_grid p "
                    "WHERE p.id = %s AND ST_Covers(p.geometry, a.geometry)", [plan.parent_id])
        return [(x, y, int(h or 0)) for x, y, h in cur.fetchall()]


def _bisect(region, points, k: int, out: list) -> None:
    if k <= 1 or region.is_empty:
        out.append((region, points))
        return
    minx, miny, maxx, maxy = region.bounds
    lat = (miny + maxy) / 2
    along_x = (maxx - minx) * math.cos(math.radians(lat)) >= (maxy - miny)
    axis = 0 if along_x else 1
    k1 = k // 2
    total = sum(p[2] for p in points)
    pts = sorted(points, key=lambda p: p[axis])
    lo, hi = (minx, maxx) if along_x else (miny, maxy)
    if total <= 0 or len(pts) < 2:
        cut = lo + (hi - lo) * k1 / k
    else:
        want, acc, cut = total * k1 / k, 0, None
        for i, p in enumerate(pts):
            acc += p[2]
            if acc >= want:
                nxt = pts[i + 1][axis] if i + 1 < len(pts) else hi
                # Take the boundary between this point and the next; choose the side whose
                # cumulative total is closer to the share.
                if i > 0 and abs(acc - p[2] - want) < abs(acc - want):
                    cut = (pts[i - 1][axis] + p[axis]) / 2
                else:
                    cut = (p[axis] + nxt) / 2
                break
        if cut is None or not (lo < cut < hi):
            cut = lo + (hi - lo) * k1 / k
    pad = 1.0
    if along_x:
        a_box = shapely.box(minx - pad, miny - pad, cut, maxy + pad)
        b_box = shapely.box(cut, miny - pad, maxx + pad, maxy + pad)
    else:
        a_box = shapely.box(minx - pad, miny - pad, maxx + pad, cut)
        b_box = shapely.box(minx - pad, cut, maxx + pad, maxy + pad)
    a = _polygonal(region.intersection(a_box))
    b = _polygonal(region.intersection(b_box))
    pa = [p for p in points if p[axis] < cut]
    pb = [p for p in points if p[axis] >= cut]
    _bisect(a, pa, k1, out)
    _bisect(b, pb, k - k1, out)


def autopartition_propose(*, plan: Plan, target_households: int | None = None,
                          band: tuple[int, int] | list | None = None) -> tuple[list[dict], dict]:
    """Cells (name, geometry, report) for the plan's parent; nothing is stored."""
    level_band = settings.GEOGRID_HOUSEHOLD_BAND.get(plan.level)
    try:
        if band:
            lo, hi = int(band[0]), int(band[1])
            target = (lo + hi) / 2
        elif target_households:
            target = int(target_households)
            lo, hi = round(target * 0.8), round(target * 1.2)
        elif level_band:
            lo, hi = level_band
            target = (lo + hi) / 2
        else:
            raise ValueError
    except (TypeError, ValueError, IndexError):
        raise RuleViolation("autopartition_target", _("Give target_households (a positive number) or band [min, max]"))
    if target <= 0 or lo > hi or lo < 0:
        raise RuleViolation("autopartition_target", _("The target must be positive and the band ordered (min <= max)"))
    points = _points(plan)
    total = sum(p[2] for p in points)
    k = max(1, round(total / target))
    # Too many cells for one parent's 3-digit code sequence would fail at publish.
    k = min(k, 500)
    parent = _shp(plan.parent.geometry)
    cells: list = []
    _bisect(parent, points, k, cells)
    order = order_west_east_north_south([_geos(c[0]) for c in cells])
    out, report = [], []
    for n, i in enumerate(order, start=1):
        region, pts = cells[i]
        hh = sum(p[2] for p in pts)
        name = _("%(parent)s auto %(n)d") % {"parent": plan.parent.name, "n": n}
        parts = len(shapely.get_parts(region))
        why = ""
        if not lo <= hh <= hi:
            biggest = max((p[2] for p in pts), default=0)
            if biggest > hi:
                why = _("one address alone has %(n)d households, more than the band allows") % {"n": biggest}
            elif total < lo:
                why = _("the whole parent has only %(n)d households, fewer than the band's minimum") % {"n": total}
            else:
                why = _("households are clustered: no straight cut between address points gives a share "
                        "inside the band here; move the cut by hand")
        if parts > 1:
            why = (why + "; " if why else "") + _("the parent's shape makes this cell %(n)d separate parts") % {"n": parts}
        entry = {"name": name, "households": hh, "addresses": len(pts), "target": target, "band": [lo, hi],
                 "deviation": round((hh - target) / target, 3), "in_band": lo <= hh <= hi,
                 "compactness": round(polsby_popper(region), 3), "parts": parts, "explanation": why}
        report.append(entry)
        out.append({"name": name, "geometry": region, "use": "residential"})
    summary = {"cells": len(out), "target": target, "band": [lo, hi], "total_households": total,
               "in_band": sum(1 for r in report if r["in_band"]), "grids": report,
               "method": "weighted recursive bisection"}
    return out, summary


def plan_autopartition(*, plan: Plan, user=None, target_households=None, band=None) -> dict:
    """Replace the plan's grids with a proposal (one undoable edit) and report on it."""
    shapes, summary = autopartition_propose(plan=plan, target_households=target_households, band=band)
    grids = plan_replace_grids(plan=plan, shapes=shapes, user=user, action="autopartition")
    for entry, g in zip(summary["grids"], grids):
        entry["id"] = g.pk
    return summary
