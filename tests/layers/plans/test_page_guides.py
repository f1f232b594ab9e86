"""The planner page in Chromium: guide lines drawn with the mouse steer the auto-partition."""
import re

import shapely

from layers.plans.models import Plan

from tests.support import AREA, M, cells_of, fill, pick_parent, shp


def test_guide_lines_drawn_on_the_planner_page_become_the_auto_partition_cuts(live_server, demo_grids, make_user,
                                                                                chromium):
    parent = demo_grids[AREA]
    poly = shp(parent.geometry)
    c = poly.centroid
    for i, q in enumerate(cells_of(poly, [c.x], [c.y])):
        fill(q, 250, seed=80 + i)
    user = make_user("引导线规划员", role="planner", grid=demo_grids["310106013000"])
    page = chromium.page(user)
    page.goto(live_server.url + "/planner/")
    pick_parent(page, parent)
    page.click("#btn-new")
    page.wait_for_selector("body[data-plan-state=ready]")
    box = page.locator("#map").bounding_box()

    def road(a, b):
        """The parent's chord along the segment a-b, drawn from 5 m inside at both ends."""
        chord = max(shapely.get_parts(shapely.LineString([a, b]).intersection(poly)), key=lambda p: p.length)
        chord = shapely.LineString([chord.interpolate(5 * M), chord.interpolate(chord.length - 5 * M)])
        pts = page.evaluate("""(line) => line.map(c => { const p = window.planner.map.latLngToContainerPoint([c[1], c[0]]);
            return [p.x, p.y]; })""", [list(chord.coords[0]), list(chord.coords[-1])])
        page.click("#btn-guide")
        page.mouse.click(box["x"] + pts[0][0], box["y"] + pts[0][1])
        page.mouse.click(box["x"] + pts[1][0], box["y"] + pts[1][1])
        page.mouse.click(box["x"] + pts[1][0], box["y"] + pts[1][1])  # clicking the last point finishes

    minx, miny, maxx, maxy = poly.bounds
    road((c.x, miny - 0.001), (c.x, maxy + 0.001))
    road((minx - 0.001, c.y), (maxx + 0.001, c.y))
    assert page.evaluate("window.planner.guideLines().length") == 2
    assert page.evaluate("window.planner.state.data.features.length") == 4  # a guide line splits nothing
    page.fill("#target", "250")
    page.click("#btn-auto")
    page.wait_for_function("() => window.planner.state.data.autopartition !== undefined")
    page.wait_for_selector("body[data-plan-state=ready]")
    report = page.evaluate("window.planner.state.data.autopartition")
    assert report["lines"]["given"] == 2 and report["lines"]["faces"] == 4, report["lines"]
    assert report["cells"] == report["in_band"] == 4
    assert all(g["on_lines"] > 0.99 for g in report["grids"])
    plan = Plan.objects.get(parent=parent, status="draft")
    children = [shp(g.geometry) for g in plan.grids.all()]
    assert len(children) == 4 and all(len(shapely.get_parts(g)) == 1 for g in children)
    # Each child is one quadrant of the roads, within a few metres: the mouse lands within a
    # pixel (about a metre at this zoom) and Geoman snaps line ends to nearby grid vertices.
    quadrants = cells_of(poly, [c.x], [c.y])
    owners = sorted(min(range(4), key=lambda i: quadrants[i].hausdorff_distance(g)) for g in children)
    assert owners == [0, 1, 2, 3]
    assert max(min(q.hausdorff_distance(g) for q in quadrants) for g in children) < 10 * M
    page.wait_for_function("() => /\\d/.test(document.getElementById('message').textContent)")
    assert re.findall(r"\d+", page.text_content("#message")) == ["2", "4", "4"]
