"""The planner in Chromium: split a demo micro-grid with a drawn line, preview, publish."""

from layers.addresses.models import Address
from layers.grids.models import Grid
from layers.plans.models import Plan

from tests.support import AREA, add_addresses, crossing_line, pick_parent


def test_planner_splits_a_micro_grid_and_publishes(live_server, demo_grids, make_user, chromium):
    parent = demo_grids[AREA]
    add_addresses(parent, n=40)
    user = make_user("浏览器规划员", role="planner", grid=demo_grids["310106013000"])
    page = chromium.page(user)

    page.goto(live_server.url + "/planner/")
    pick_parent(page, parent)
    page.click("#btn-new")
    page.wait_for_selector("body[data-plan-state=ready]")
    plan = Plan.objects.get(parent=parent, status="draft")
    target = plan.grids.order_by("pk").first()
    old_grid = target.source_grid
    head = make_user("浏览器网格长", role="grid_head", grid=old_grid)
    moving = Address.objects.filter(grid=old_grid).count()
    # Select the grid by clicking it on the map, then draw the line with the mouse in Geoman.
    line = crossing_line(target, short_m=3.0)["coordinates"]
    centre = page.evaluate("""(id) => { const l = window.planner.layers()[id];
        const p = window.planner.map.latLngToContainerPoint(l.getCenter()); return [p.x, p.y]; }""", target.pk)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + centre[0], box["y"] + centre[1])
    assert page.evaluate("window.planner.state.selected") == [target.pk]
    page.click("#btn-split")
    pts = page.evaluate("""(line) => line.map(c => { const p = window.planner.map.latLngToContainerPoint([c[1], c[0]]);
        return [p.x, p.y]; })""", line)
    page.mouse.click(box["x"] + pts[0][0], box["y"] + pts[0][1])
    page.mouse.click(box["x"] + pts[1][0], box["y"] + pts[1][1])
    page.mouse.click(box["x"] + pts[1][0], box["y"] + pts[1][1])  # clicking the last point finishes
    page.wait_for_function("() => window.planner.state.data.features.length === 5")
    page.wait_for_selector("body[data-plan-state=ready]")
    names = page.evaluate("window.planner.state.data.features.map(f => f.properties.name)")
    assert f"{target.name}-1" in names and f"{target.name}-2" in names
    page.click("#btn-impact")
    page.wait_for_selector("body[data-impact=shown]")
    assert old_grid.code in page.inner_text("#impact")
    # The head of the split grid is listed with the decision publishing will apply: by default
    # they follow the boundary to both halves; the planner keeps them on the first half only.
    row = page.locator(".staff-decisions tr[data-assignment]")
    assert row.count() == 1 and "浏览器网格长" in row.inner_text()
    options = row.locator("select option").all_inner_texts()
    assert options[0].startswith("随边界调整到") and any(o.startswith("只调整到") for o in options)
    first_only = next(o for o in options if o.startswith("只调整到") and o.endswith(f"{target.name}-1"))
    row.locator("select").select_option(label=first_only)
    page.on("dialog", lambda d: d.accept())
    page.click("#btn-publish")
    page.wait_for_selector("body[data-published=yes]")

    old_grid.refresh_from_db()
    assert old_grid.valid_to is not None
    new = list(Grid.objects.filter(parent=parent, valid_to__isnull=True, name__startswith=f"{target.name}-"))
    assert len(new) == 2
    assert Address.objects.filter(grid__in=new).count() == moving
    from layers.staff.models import Assignment

    assert set(Assignment.objects.filter(user=head, active=True).values_list("grid__name", flat=True)) == {
        f"{target.name}-1"}
    current = set(Grid.objects.filter(valid_to__isnull=True).values_list("pk", flat=True))
    assert all(a.grid_id in current for a in Address.objects.filter(geometry__within=parent.geometry))
