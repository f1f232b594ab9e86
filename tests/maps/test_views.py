"""Map pages and the hotspot API against the demo street (real PostGIS)."""
import re

import pytest

from layers.staff.models import Role
from tests.support import STREET_CODE

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")


@pytest.fixture
def leader(make_user, demo_grids):
    return make_user("maps-leader", Role.STREET_LEADER, demo_grids[STREET_CODE])


@pytest.fixture
def head(make_user, demo_grids):
    micro = demo_grids["310106013001001"]
    return make_user("maps-head", Role.GRID_HEAD, micro)


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_pages_need_login(client):
    for url in ("/maps/coverage/", "/maps/hotspots/", "/maps/special/", "/maps/grid/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.get("/api/hotspots/?days=30").status_code in (401, 403)


@pytest.mark.parametrize("url", ["/maps/coverage/", "/maps/coverage/?metric=households&level=3",
                                 "/maps/coverage/?metric=open_incidents&level=4", "/maps/hotspots/?days=90",
                                 "/maps/special/"])
def test_leader_pages_render_offline_with_legend_and_layers(client, leader, url):
    r = get(client, leader, url)
    assert r.status_code == 200
    html = r.content.decode()
    assert not EXTERNAL.search(html)
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "geogrid-legend" in html and "L.control.layers" in html


def test_coverage_level_switch_draws_both_levels_and_shows_the_chosen_one(client, leader, demo_grids):
    html = get(client, leader, "/maps/coverage/?metric=households&level=3").content.decode()
    micro = [g for g in demo_grids.values() if g.level == 4 and g.kind == "base"]
    communities = [g for g in demo_grids.values() if g.level == 3 and g.kind == "base"]
    assert 'class="level-link on" href="?metric=households&amp;level=3"' in html
    for g in communities + micro[:3]:
        assert g.code in html
    # Two legends, the micro-grid one hidden until its layer is chosen.
    assert html.count('div.setAttribute("data-group"') == 2
    assert 'geogrid-legend hidden' in html


def test_bad_parameters_are_400_with_a_reason(client, leader):
    client.force_login(leader)
    r = client.get("/maps/coverage/?metric=bogus")
    assert r.status_code == 400 and b"bogus" in r.content
    assert client.get("/maps/coverage/?level=x").status_code == 400
    assert client.get("/maps/coverage/?level=9").status_code == 400
    assert client.get("/maps/hotspots/?days=-3").status_code == 400
    assert client.get("/maps/coverage/?format=gif").status_code == 400
    r = client.get("/api/hotspots/?days=abc")
    assert r.status_code == 400 and r.json()["rule"] == "bad_parameter"
    r = client.get("/api/hotspots/?days=30&incident_class=nonsense")
    assert r.status_code == 400 and "nonsense" in r.json()["detail"]


def test_hotspot_api_contract(client, leader, demo_grids):
    client.force_login(leader)
    rows = client.get("/api/hotspots/?days=30").json()
    micro_ids = {g.pk for g in demo_grids.values() if g.kind == "base" and g.level == 4}
    assert {r["grid_id"] for r in rows} == micro_ids
    for r in rows:
        assert set(r) == {"grid_id", "count", "gi_z", "p", "class"}
        assert r["class"] in {"hot99", "hot95", "hot90", "none", "cold90", "cold95", "cold99"}


def test_hotspot_api_is_scoped_to_the_users_grids(client, head, demo_grids):
    client.force_login(head)
    rows = client.get("/api/hotspots/?days=30").json()
    assert [r["grid_id"] for r in rows] == [demo_grids["310106013001001"].pk]


def test_grid_head_sees_own_grid_and_nothing_else(client, head, make_user, demo_grids):
    html = get(client, head, "/maps/grid/").content.decode()
    assert "310106013001001" in html
    assert "310106013001002" not in html
    # A grid they are not assigned to is not found; so is the page for someone with no grid.
    other = demo_grids["310106013001002"].pk
    assert client.get(f"/maps/grid/?grid={other}").status_code == 404
    nobody = make_user("maps-nobody")
    client.force_login(nobody)
    assert client.get("/maps/grid/").status_code == 403  # no role: nothing in the access table


def test_special_page_lists_the_demo_special_grids(client, leader, demo_grids):
    html = get(client, leader, "/maps/special/").content.decode()
    kinds = {g.kind for g in demo_grids.values() if g.kind != "base"}
    assert {"religious_site", "business_district", "commercial_street"} <= kinds
    for g in demo_grids.values():
        if g.kind != "base":
            assert f'data-kind="{g.kind}"' in html and g.name in html


def test_planted_demo_cluster_is_hot95_and_quiet_area_cold95(client, leader, demo_grids):
    demo = pytest.importorskip("layers.incidents.demo")
    from layers.staff import demo as staff_demo

    staff_demo.load()
    demo.load()
    client.force_login(leader)
    by_id = {r["grid_id"]: r for r in client.get("/api/hotspots/?days=90").json()}
    hot = by_id[demo_grids[demo.HOT_GRID_CODE].pk]
    cold = by_id[demo_grids[demo.COLD_GRID_CODE].pk]
    assert hot["class"] in ("hot95", "hot99"), hot
    assert cold["class"] in ("cold95", "cold99"), cold
    html = client.get("/maps/hotspots/?days=90").content.decode()
    assert f"<td>{demo.HOT_GRID_CODE}</td>" in html and f"<td>{demo.COLD_GRID_CODE}</td>" in html
    assert "L.heatLayer" in html


def _tooltip_features(html: str) -> list[dict]:
    """The GeoJSON features the page hands to its map layers (window.geogridData)."""
    import json
    feats = []
    for m in re.finditer(r'window\.geogridData\[[^\]]+\]=(\{.*?\});(?:\n|</script>)', html):
        feats += json.loads(m.group(1).replace("<\\/", "</"))["features"]
    return feats


def test_special_grids_carry_households_addresses_subjects_and_area(client, leader, demo_grids):
    from layers.addresses import demo as addresses_demo
    from layers.addresses.models import Address

    addresses_demo.load()
    html = get(client, leader, "/maps/special/").content.decode()
    props = {f["properties"]["id"]: f["properties"] for f in _tooltip_features(html) if "kind" in f["properties"]}
    for kind in ("religious_site", "business_district", "commercial_street"):
        grid = next(g for g in demo_grids.values() if g.kind == kind)
        p = props[grid.pk]
        inside = Address.objects.filter(special_links__grid=grid)
        assert p["addresses"] == inside.count() > 0
        assert p["households"] == sum(inside.values_list("households", flat=True))
        assert p["households"] > 0, kind
        # Geodesic area: the shape's planar area in a metric projection agrees within 1%.
        planar = grid.geometry.transform(32651, clone=True).area
        assert abs(p["area_m2"] - planar) < 0.01 * planar and p["area_text"] == f"{p['area_m2']:,}"
        assert p["subjects"] == 0  # no subjects loaded here; the count is there, not missing
        row = re.search(rf'<tr data-kind="{kind}" data-grid="{grid.pk}">(.*?)</tr>', html, re.S).group(1)
        assert f'data-col="households">{p["households"]}<' in row
        assert f'data-col="area_m2">{p["area_text"]}<' in row
    # The tooltip labels are Chinese (the field list is JSON with \u escapes).
    import json
    assert json.dumps(["households", "户数"]) in html and json.dumps(["area_text", "面积（平方米）"]) in html


def test_hotspot_until_moves_the_window_and_bad_dates_are_400(client, leader, demo_grids):
    import datetime as dt

    from django.utils import timezone

    demo = pytest.importorskip("layers.incidents.demo")
    from layers.incidents.models import Incident
    from layers.staff import demo as staff_demo

    staff_demo.load()
    demo.load()
    client.force_login(leader)
    until = timezone.localdate() - dt.timedelta(days=120)
    rows = client.get(f"/api/hotspots/?days=30&until={until.isoformat()}").json()
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    in_window = Incident.objects.filter(reported_at__gte=end - dt.timedelta(days=30), reported_at__lt=end,
                                        grid__in=[r["grid_id"] for r in rows])
    assert sum(r["count"] for r in rows) == in_window.count() > 0
    now_rows = client.get("/api/hotspots/?days=30").json()
    assert [r["count"] for r in rows] != [r["count"] for r in now_rows]

    for bad, reason in [("2025-13-40", "2025-13-40"), ("yesterday", "yesterday"),
                        ((timezone.localdate() + dt.timedelta(days=1)).isoformat(), "today")]:
        r = client.get(f"/api/hotspots/?days=30&until={bad}")
        assert r.status_code == 400 and r.json()["rule"] == "bad_parameter", bad
        assert client.get(f"/maps/hotspots/?days=30&until={bad}").status_code == 400

    html = client.get(f"/maps/hotspots/?days=30&until={until.isoformat()}").content.decode()
    weeks = (timezone.localdate() - until).days // 7
    assert f'value="{-weeks}"' in html and 'id="until-slider"' in html
    assert f"{(until - dt.timedelta(days=29)).isoformat()} – {until.isoformat()}" in html
    assert f'href="?days=90&amp;until={until.isoformat()}"' in html  # the period links keep the window's end
    assert f"共 {in_window.count()} 件事件" in html


def test_street_leaders_grid_map_draws_base_children_not_special_grids(client, leader, demo_grids):
    html = get(client, leader, "/maps/grid/").content.decode()
    for g in demo_grids.values():
        if g.parent_id == demo_grids[STREET_CODE].pk:
            assert (g.code in html) == (g.kind == "base"), g.code


def test_grid_heads_hotspot_page_says_gi_needs_more_grids(client, head, leader):
    assert 'id="gi-few-grids"' in get(client, head, "/maps/hotspots/").content.decode()
    assert 'id="gi-few-grids"' not in get(client, leader, "/maps/hotspots/").content.decode()


def test_grid_head_sees_special_grids_over_their_grid_with_only_their_cases(client, make_user, demo_grids):
    demo = pytest.importorskip("layers.incidents.demo")
    from layers.incidents.models import Incident
    from layers.staff import demo as staff_demo
    from layers.subjects import selectors

    staff_demo.load()
    demo.load()
    district = next(g for g in demo_grids.values() if g.kind == "business_district")
    inside = next(g for g in demo_grids.values() if g.kind == "base" and g.level == 4
                  and g.geometry.relate_pattern(district.geometry, "T********")
                  and Incident.objects.filter(grid=g, special_grids=district).exists())
    outside = next(g for g in demo_grids.values() if g.kind == "base" and g.level == 4
                   and not g.geometry.intersects(district.geometry))
    head = make_user("maps-district-head", Role.GRID_HEAD, inside)
    gdf = selectors.special_grid_frame(user=head)
    row = gdf[gdf["id"] == district.pk].iloc[0]
    mine = Incident.objects.filter(grid=inside, special_grids=district)
    assert row["incidents"] == mine.count() < Incident.objects.filter(special_grids=district).count()
    html = get(client, head, "/maps/special/").content.decode()
    assert f'data-grid="{district.pk}"' in html
    far = make_user("maps-far-head", Role.GRID_HEAD, outside)
    assert district.pk not in set(selectors.special_grid_frame(user=far)["id"])


def test_coverage_tooltip_flags_are_words_not_codes(client, leader):
    from layers.addresses import demo as addresses_demo

    addresses_demo.load()
    html = get(client, leader, "/maps/coverage/?metric=households&level=4").content.decode()
    flags = {f["properties"].get("flags") for f in _tooltip_features(html)} - {None, ""}
    assert flags and not any("_" in f for f in flags), flags
    assert any("户数" in f for f in flags)


def test_hotspot_page_says_in_plain_words_which_grids_stand_out(client, leader, demo_grids):
    from django.utils import timezone

    from layers.incidents import demo
    from layers.incidents.models import Incident
    from layers.staff import demo as staff_demo

    staff_demo.load()
    demo.load()
    html = get(client, leader, "/maps/hotspots/?days=90").content.decode()
    summary = re.search(r'<p class="map-note hotspot-summary" id="hotspot-summary">(.*?)</p>', html, re.S).group(1)
    hot = demo_grids["310106013008001"]  # the demo's planted market cluster
    assert hot.name in summary and "明显多于周边" in summary
    # No statistics jargon (Gi*, z, p): the summary is words, names and counts only.
    assert re.search(r"[A-Za-z*]", re.sub(r"<[^>]+>", "", summary)) is None, summary
    # The statistics stay one click away, behind a details toggle.
    assert re.search(r"<details[^>]*>\s*<summary>[^<]+</summary>.*Gi\*.*id=\"hotspot-table\"", html, re.S)
    # The time control reaches back to the first case and no further.
    first = timezone.localtime(Incident.objects.order_by("reported_at").first().reported_at).date()
    weeks = -(-(timezone.localdate() - first).days // 7)
    assert f'min="-{min(weeks, 104)}"' in html


def test_special_map_shows_each_role_only_figures_of_its_scope_and_no_one_s_address(client, make_user,
                                                                                     demo_grids):
    """The special-grids map as a grid head inside a special grid, a grid head elsewhere, a
    street leader and a planner: households and subjects count only addresses in the viewer's
    scope, a leader's and planner's subject counts are banded, and nothing personal is on the
    page: no subject's name or address, no grid head's address (a boundary file may carry one
    in a grid's source attributes), no staff phone."""
    from django.db.models import Sum

    from layers.addresses.models import Address
    from layers.addresses.services import address_create
    from layers.staff.models import StaffProfile
    from layers.subjects.services import subject_create

    micro = [g for g in demo_grids.values() if g.kind == "base" and g.level == 4]
    special, mine, theirs = next(
        (s, *inside[:2]) for s in demo_grids.values() if s.kind != "base"
        for inside in [[m for m in micro if s.geometry.intersection(m.geometry).area > 1e-9]] if len(inside) >= 2)
    secret_address = "静安区网格长住址路99弄9号"
    special.attributes = {**special.attributes, "负责人": "网格长甲", "负责人住址": secret_address}
    special.save()
    people = []
    for grid, households, n in ((mine, 7, 3), (theirs, 500, 12)):
        p = special.geometry.intersection(grid.geometry).point_on_surface
        address = address_create(full_text=f"静安区特色测试路{households}号", lon=p.x, lat=p.y, households=households)
        for i in range(n):
            people.append(subject_create(address=address, name=f"特色对象{households}-{i}", category="other"))
    head = make_user("sp-map-head", Role.GRID_HEAD, mine)
    StaffProfile.objects.create(user=head, display_name="网格长甲", public_phone="13912345678", pledge="为民服务")
    elsewhere = next(m for m in micro if special.geometry.intersection(m.geometry).area <= 1e-9)
    other_head = make_user("sp-map-elsewhere", Role.GRID_HEAD, elsewhere)
    leader = make_user("sp-map-leader", Role.STREET_LEADER, demo_grids[STREET_CODE])
    planner = make_user("sp-map-planner", Role.PLANNER, demo_grids[STREET_CODE])

    def shown(user):
        r = get(client, user, "/maps/special/")
        assert r.status_code == 200
        html = r.content.decode()
        for secret in (secret_address, "13912345678", "为民服务", *[s.name for s in people],
                       *Address.objects.filter(special_links__grid=special).values_list("full_text", flat=True)):
            assert secret not in html, (user.username, secret)
        props = {f["properties"]["id"]: f["properties"] for f in _tooltip_features(html) if "kind" in f["properties"]}
        return props.get(special.pk), html

    own, _html = shown(head)
    expected = Address.objects.filter(special_links__grid=special, grid=mine).aggregate(h=Sum("households"))["h"]
    assert own["households"] == expected and own["subjects"] == 3  # exact, own micro-grid only
    outside, html = shown(other_head)
    assert outside is None and f'data-grid="{special.pk}"' not in html
    for user in (leader, planner):
        figures, _html = shown(user)
        everything = Address.objects.filter(special_links__grid=special).aggregate(h=Sum("households"))["h"]
        assert figures["households"] == everything  # the whole street is in their scope
        assert figures["subjects"] == "10-19"  # 15 subjects, banded
