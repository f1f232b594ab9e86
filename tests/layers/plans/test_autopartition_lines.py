"""Auto-partition along given lines (roads, rivers, walls): children are unions of the faces
the lines cut the parent into, so their shared edges run along the lines."""
import itertools

import pytest
import shapely
from rest_framework.test import APIClient

from layers.grids.geometry import geodesic_area_m2
from layers.plans.autopartition import plan_autopartition
from layers.plans.services import plan_create, plan_validate

from tests.support import AREA, M, cells_of, fill, shp

pytestmark = pytest.mark.django_db


def roads_through_centre(parent, xs=None, ys=None):
    """Straight north-south roads at the given longitudes and east-west roads at the given
    latitudes (default: one of each through the centre), reaching beyond the parent."""
    poly = shp(parent.geometry)
    minx, miny, maxx, maxy = poly.bounds
    c = poly.centroid
    xs = [c.x] if xs is None else xs
    ys = [c.y] if ys is None else ys
    lines = [[[x, miny - 0.001], [x, maxy + 0.001]] for x in xs] + [[[minx - 0.001, y], [maxx + 0.001, y]] for y in ys]
    return poly, {"type": "MultiLineString", "coordinates": lines}


def assert_partition(plan, poly, roads, n):
    children = [shp(g.geometry) for g in plan.grids.all()]
    assert len(children) == n
    for c in children:
        assert len(shapely.get_parts(c)) == 1  # contiguous: one polygon each
    union = shapely.union_all(children)
    assert geodesic_area_m2(union) == pytest.approx(geodesic_area_m2(poly), rel=1e-4)
    assert geodesic_area_m2(shapely.symmetric_difference(union, poly)) < geodesic_area_m2(poly) * 1e-4
    near_road = roads.buffer(0.5 * M)
    shared_total = 0.0
    for a, b in itertools.combinations(children, 2):
        shared = shapely.intersection(a.boundary, b.buffer(0.01 * M))
        if shared.length < M:
            continue
        shared_total += shared.length
        off = shapely.difference(shared, near_road)
        assert off.length < 0.5 * M, f"{off.length / M:.2f} m of a shared edge is off the roads"
    assert shared_total > 0
    assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []
    return children


def test_two_crossing_roads_give_four_quadrant_children_cut_along_the_roads(demo_grids):
    parent = demo_grids[AREA]
    poly, lines = roads_through_centre(parent)
    quadrants = cells_of(poly, [poly.centroid.x], [poly.centroid.y])
    for i, q in enumerate(quadrants):
        fill(q, 250, seed=i)
    plan = plan_create(parent=parent)
    report = plan_autopartition(plan=plan, target_households=250, lines=lines)
    roads = shapely.MultiLineString(lines["coordinates"])
    assert_partition(plan, poly, roads, 4)
    assert report["total_households"] == 1000 and report["in_band"] == 4
    assert report["lines"]["faces"] == 4 and report["lines"]["split_faces"] == 0
    for g in report["grids"]:
        assert g["households"] == 250 and g["addresses"] == 25 and g["in_band"] and g["deviation"] == 0
        assert g["on_lines"] == pytest.approx(1.0, abs=0.01)
        assert 0 < g["compactness"] <= 1


def test_small_blocks_are_merged_along_roads_into_children_of_about_the_target(demo_grids):
    parent = demo_grids[AREA]
    poly = shp(parent.geometry)
    minx, miny, maxx, maxy = poly.bounds
    xs = [minx + (maxx - minx) * f for f in (0.25, 0.5, 0.75)]
    ys = [poly.centroid.y]
    _, lines = roads_through_centre(parent, xs=xs, ys=ys)
    blocks = [b for b in cells_of(poly, xs, ys) if not b.is_empty]
    assert len(blocks) == 8
    for i, b in enumerate(blocks):
        fill(b, 120, seed=10 + i)  # two blocks make a child of about 250
    plan = plan_create(parent=parent)
    report = plan_autopartition(plan=plan, target_households=250, lines=lines)
    roads = shapely.MultiLineString(lines["coordinates"])
    assert_partition(plan, poly, roads, 4)
    assert report["lines"]["faces"] == 8 and report["lines"]["merges"] == 4
    assert [g["households"] for g in report["grids"]] == [240] * 4
    assert all(g["in_band"] for g in report["grids"])
    # A merged child's inner edges include the road between its own blocks' neighbours, all on roads.
    assert all(g["on_lines"] == pytest.approx(1.0, abs=0.01) for g in report["grids"])


def test_a_block_too_big_for_the_band_is_cut_across_and_says_why(demo_grids):
    parent = demo_grids[AREA]
    poly, lines = roads_through_centre(parent, ys=[])  # one north-south road: two halves
    west, east = cells_of(poly, [poly.centroid.x], [])
    fill(west, 250, seed=30)
    fill(east, 500, seed=31)
    plan = plan_create(parent=parent)
    report = plan_autopartition(plan=plan, target_households=250, lines=lines)
    assert report["lines"]["split_faces"] == 1
    assert report["cells"] == 3 and report["total_households"] == 750
    children = [shp(g.geometry) for g in plan.grids.all()]
    union = shapely.union_all(children)
    assert geodesic_area_m2(shapely.symmetric_difference(union, poly)) < geodesic_area_m2(poly) * 1e-4
    west_child = [g for g in report["grids"] if g["on_lines"] == pytest.approx(1.0, abs=0.01)]
    assert [g["households"] for g in west_child] == [250]
    for g in report["grids"]:
        assert g["in_band"] or g["explanation"], g


def test_a_road_drawn_short_of_the_edge_is_joined_to_it_and_still_cuts(demo_grids):
    parent = demo_grids[AREA]
    poly = shp(parent.geometry)
    c = poly.centroid
    # The north-south line through the centre, stopping 5 m inside the parent at both ends.
    inside = shapely.LineString([(c.x, poly.bounds[1] - 1), (c.x, poly.bounds[3] + 1)]).intersection(poly)
    inside = max(shapely.get_parts(inside), key=lambda p: p.length)
    (x0, y0), (x1, y1) = inside.coords[0], inside.coords[-1]
    lo, hi = sorted([y0, y1])
    line = {"type": "Feature", "properties": {"name": "中路"},
            "geometry": {"type": "LineString", "coordinates": [[x0, lo + 5 * M], [x1, hi - 5 * M]]}}
    west, east = cells_of(poly, [c.x], [])
    fill(west, 250, seed=40)
    fill(east, 250, seed=41)
    plan = plan_create(parent=parent)
    report = plan_autopartition(plan=plan, target_households=250,
                                lines={"type": "FeatureCollection", "features": [line]})
    assert report["lines"]["faces"] == 2
    assert sorted(g["households"] for g in report["grids"]) == [250, 250]


def test_without_lines_the_tree_bisection_of_address_blocks_is_used(demo_grids):
    parent = demo_grids[AREA]
    poly = shp(parent.geometry)
    for i, q in enumerate(cells_of(poly, [poly.centroid.x], [poly.centroid.y])):
        fill(q, 250, seed=50 + i)
    plan = plan_create(parent=parent)
    report = plan_autopartition(plan=plan, target_households=250)
    assert report["method"] == "recursive spanning-tree bisection of address blocks"
    assert "lines" not in report and all("on_lines" not in g for g in report["grids"])
    assert report["cells"] == 4 and report["total_households"] == 1000
    assert all(200 <= g["households"] <= 300 and g["parts"] == 1 for g in report["grids"])


def test_api_takes_lines_and_refuses_what_is_not_a_line(demo_grids, make_user):
    client = APIClient()
    client.force_authenticate(make_user("规划员", role="planner", grid=demo_grids["310106013000"]))
    parent = demo_grids[AREA]
    poly, lines = roads_through_centre(parent)
    for i, q in enumerate(cells_of(poly, [poly.centroid.x], [poly.centroid.y])):
        fill(q, 250, seed=60 + i)
    pid = client.post("/api/plans/", {"parent": parent.pk}, format="json").json()["plan"]["id"]
    r = client.post(f"/api/plans/{pid}/autopartition/", {"target_households": 250, "lines": lines}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert len(body["features"]) == 4 and body["autopartition"]["in_band"] == 4
    assert all(g["on_lines"] > 0.99 for g in body["autopartition"]["grids"])
    r = client.post(f"/api/plans/{pid}/autopartition/",
                    {"target_households": 250, "lines": {"type": "Point", "coordinates": [121.44, 31.22]}},
                    format="json")
    assert r.status_code == 400 and r.json()["rule"] == "lines_unreadable"
    r = client.post(f"/api/plans/{pid}/autopartition/",
                    {"target_households": 250, "lines": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}},
                    format="json")
    assert r.status_code == 400


def test_children_the_lines_leave_out_of_band_are_recut_with_a_neighbour_unless_strict(demo_grids):
    parent = demo_grids[AREA]
    poly, lines = roads_through_centre(parent, ys=[])
    west, east = cells_of(poly, [poly.centroid.x], [])
    fill(west, 150, seed=70)
    fill(east, 350, seed=71)  # band 200-300: no cut along the road alone gives two children in band
    plan = plan_create(parent=parent)
    strict = plan_autopartition(plan=plan, target_households=250, lines=lines, strict_lines=True)
    assert strict["lines"]["rebalanced"] == 0
    out = [g for g in strict["grids"] if not g["in_band"]]
    assert out and all(g["explanation"] for g in out)
    report = plan_autopartition(plan=plan, target_households=250, lines=lines)
    assert report["lines"]["rebalanced"] >= 1
    assert report["in_band"] == report["cells"] == 2
    assert sum(g["households"] for g in report["grids"]) == 500
    assert all(200 <= g["households"] <= 300 for g in report["grids"])
    children = [shp(g.geometry) for g in plan.grids.all()]
    assert all(len(shapely.get_parts(c)) == 1 for c in children)
    union = shapely.union_all(children)
    assert geodesic_area_m2(shapely.symmetric_difference(union, poly)) < geodesic_area_m2(poly) * 1e-4
