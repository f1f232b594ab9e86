"""The planner's page in Chromium (desktop): it opens on the street with its grids drawn and
named, picks a parent from a searchable tree, shows reference layers without a basemap, keeps
the impact panel in step with every edit, speaks Chinese statuses, and a discarded plan says so."""
import os

from layers.addresses.models import Address
from layers.grids.models import Grid
from layers.plans.models import Plan

from tests.support import AREA, add_addresses, crossing_line

STREET = "310106013000"
SHOTS = os.environ.get("GEOGRID_SHOTS")  # a folder to keep screenshots in, when looking at the page


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"planner-{name}.png"))


def visible_labels(page) -> list[str]:
    return page.eval_on_selector_all(".leaflet-tooltip.grid-label", "els => els.map(e => e.textContent)")


def test_planner_page_opens_on_the_street_named_with_reference_layers_and_a_tree(live_server, demo_grids, make_user,
                                                                                 chromium):
    street, area = demo_grids[STREET], demo_grids[AREA]
    add_addresses(area, n=30)
    user = make_user("页面规划员", role="planner", grid=street)
    page = chromium.page(user)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(live_server.url + "/planner/")
    page.wait_for_selector("body[data-reference=ready]")
    # Opens on the street: it is the picked parent, and its current children are drawn with
    # their names as permanent labels (not on hover).
    assert page.get_attribute(f"#parent-tree button[data-grid-id='{street.pk}']", "aria-selected") == "true"
    children = list(Grid.objects.filter(parent=street, valid_to__isnull=True).values_list("name", flat=True))
    labels = visible_labels(page)
    assert len(children) >= 5 and set(children) <= set(labels)
    shot(page, "street")
    # The tree nests levels (the area sits under the street) and search finds by code or name.
    assert page.locator(f"#parent-tree li[data-grid-id='{street.pk}'] li[data-grid-id='{area.pk}']").count() == 1
    page.fill("#parent-search", area.name[:3])
    assert page.locator(f"#parent-tree li[data-grid-id='{area.pk}']").is_visible()
    hidden_other = page.locator("#parent-tree li[hidden]").count()
    assert hidden_other > 0
    page.fill("#parent-search", "不存在的网格名")
    assert page.locator("#parent-tree li:not([hidden])").count() == 0
    assert page.get_attribute("#parent-tree", "data-empty") == "没有匹配的网格"
    page.fill("#parent-search", area.code)
    page.click(f"#parent-tree button[data-grid-id='{area.pk}']")
    page.wait_for_function(f"() => window.planner.reference() && window.planner.reference().parent.id === {area.pk}")
    page.wait_for_selector("body[data-reference=ready]")
    # Reference layers: the area's addresses as dots, its neighbours named beside it.
    ref = page.evaluate("window.planner.reference()")
    assert len(ref["addresses"]) == Address.objects.filter(geometry__within=area.geometry).count() >= 30
    neighbour_names = {f["properties"]["name"] for f in ref["neighbours"]["features"]}
    assert neighbour_names and area.name not in neighbour_names
    assert neighbour_names & set(visible_labels(page))
    # The dots are painted: the canvas under the map holds coloured pixels.
    painted = page.wait_for_function("""() => { const c = document.querySelector('#map canvas');
        if (!c || !c.width) return 0; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""").json_value()
    assert painted > 30
    assert page.locator("#map path.leaflet-interactive").count() >= len(neighbour_names) + 4
    shot(page, "area")


def test_impact_follows_every_edit_statuses_are_chinese_and_a_discarded_plan_says_so(live_server, demo_grids,
                                                                                    make_user, chromium):
    street, area = demo_grids[STREET], demo_grids[AREA]
    add_addresses(area, n=40)
    user = make_user("影响规划员", role="planner", grid=street)
    page = chromium.page(user)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(live_server.url + "/planner/")
    page.wait_for_selector("body[data-reference=ready]")
    page.fill("#parent-search", area.code)
    page.click(f"#parent-tree button[data-grid-id='{area.pk}']")
    page.wait_for_function(f"() => window.planner.reference() && window.planner.reference().parent.id === {area.pk}")
    page.click("#btn-new")
    page.wait_for_selector("body[data-plan-state=ready]")
    page.wait_for_selector("body[data-impact=shown]")
    plan = Plan.objects.get(parent=area, status="draft")
    status = page.inner_text("#plan-status")
    assert "草稿" in status and "draft" not in status
    # Plan grids are named on the map too.
    names = list(plan.grids.values_list("name", flat=True))
    assert set(names) <= set(visible_labels(page))
    # A split through the API of the page: the impact panel is refreshed without asking.
    target = plan.grids.order_by("pk").first()
    page.evaluate("(id) => window.planner.select(id)", target.pk)
    page.evaluate("(line) => window.planner.splitWithLine(line)", crossing_line(target, short_m=3.0))
    page.wait_for_function("() => window.planner.state.data.features.length === 5")
    page.wait_for_selector("body[data-impact=shown]")
    impact = page.inner_text("#impact")
    assert f"{target.name}-1" in impact and f"{target.name}-2" in impact
    # ...and after a merge of the two halves, the halves are gone from the panel.
    halves = page.evaluate(f"""() => window.planner.state.data.features
        .filter(f => f.properties.name.startsWith({target.name!r} + "-")).map(f => f.id)""")
    page.evaluate("(ids) => { window.planner.state.selected = []; ids.forEach(id => window.planner.select(id)); }",
                  halves)
    page.evaluate("() => window.planner.merge()")
    page.wait_for_function("() => window.planner.state.data.features.length === 4")
    page.wait_for_selector("body[data-impact=shown]")
    impact = page.inner_text("#impact")
    assert f"{target.name}-2" not in impact  # the merged grid keeps the first half's name
    shot(page, "impact")
    # Discard: the page says so, in Chinese, and offers no publishing.
    page.on("dialog", lambda d: d.accept())
    page.click("#btn-discard")
    page.wait_for_selector("body[data-plan-status=discarded]")
    assert "已放弃" in page.inner_text("#plan-status")
    note = page.inner_text("#plan-note")
    assert "放弃" in note and page.is_visible("#plan-note")
    assert not page.is_visible("#btn-publish")
    side = page.inner_text(".planner-side")
    assert "可以发布" not in side and "discarded" not in side and "draft" not in side
    shot(page, "discarded")
