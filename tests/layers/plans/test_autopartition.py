"""Balanced auto-partition (spanning-tree bisection of address blocks) on the demo street."""
import pytest
import shapely

from layers.addresses import demo as addresses_demo
from layers.grids.geometry import geodesic_area_m2
from layers.grids.models import Grid, GridKind
from layers.plans.autopartition import plan_autopartition
from layers.plans.services import plan_create, plan_validate
from layers.plans.treepart import tree_partition

from tests.support import AREA, shp

pytestmark = pytest.mark.django_db


def test_every_residential_area_of_the_demo_is_partitioned_with_every_child_in_the_band(demo_grids):
    addresses_demo.load()
    areas = list(Grid.objects.filter(valid_to__isnull=True, level=3, kind=GridKind.BASE).order_by("code"))
    assert len(areas) >= 5
    children = business = 0
    for area in areas:
        plan = plan_create(parent=area)
        report = plan_autopartition(plan=plan)
        lo, hi = report["band"]
        assert (lo, hi) == (200, 500)
        for g in report["grids"]:
            assert g["parts"] == 1 and 0 < g["compactness"] <= 1
            if g["use"] == "business_building":
                # An area of office towers (裕华居民区: 73 households in 480 addresses): the band
                # is for homes, and the report says so.
                assert g["in_band"] is None and g["households"] < lo and "楼宇网格" in g["explanation"]
                business += 1
                continue
            assert lo <= g["households"] <= hi, (area.code, g)
            assert g["in_band"] and not g["explanation"]
        assert sum(g["households"] for g in report["grids"]) == report["total_households"]
        shapes = [shp(pg.geometry) for pg in plan.grids.all()]
        assert all(len(shapely.get_parts(s)) == 1 for s in shapes)  # contiguous
        whole = shp(area.geometry)
        assert geodesic_area_m2(shapely.symmetric_difference(shapely.union_all(shapes), whole)) < 1.0
        assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []
        children += len(shapes)
    assert children - business >= 20 and business <= 1


def test_a_building_above_the_band_is_one_child_with_its_reason_and_the_rest_stay_in_band(demo_grids):
    poly = shp(demo_grids[AREA].geometry)
    minx, miny, maxx, maxy = poly.bounds
    import random
    rng = random.Random(7)
    points = []
    while len(points) < 300:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(shapely.Point(x, y)):
            points.append((x, y, 4))
    c = poly.representative_point()
    points.append((c.x, c.y, 700))  # one tower of 700 households, above the 200-500 band
    cells = tree_partition(poly, points, 5, 200, 500)
    sizes = sorted(sum(p[2] for p in pts) for _r, pts in cells)
    tower = next(pts for _r, pts in cells if any(p[2] == 700 for p in pts))
    assert sum(p[2] for p in tower) >= 700
    assert sum(1 for s in sizes if 200 <= s <= 500) == len(cells) - 1, sizes
    assert all(len(shapely.get_parts(r)) == 1 for r, _p in cells)
