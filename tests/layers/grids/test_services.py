import pytest
from django.contrib.gis.geos import GEOSGeometry

from layers.core.errors import RuleViolation
from layers.grids.models import Grid, GridCode, GridVersion
from layers.grids.locate import locate
from layers.grids.selectors import grid_coverage_report
from layers.grids.services import (BatchRuleViolation, GridSpec, grid_create, grid_retire, grid_update,
                                   grids_create)

from tests.support import box

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return grid_create(parent=None, level=2, name="测试街道", code="310999001000", geometry=box(120, 30, 120.01, 30.01))


def test_child_codes_are_parent_code_plus_sequence_west_to_east_north_to_south(root):
    # Four quadrants given in a scrambled order: codes follow NW, NE, SW, SE.
    quads = {"SE": box(120.005, 30, 120.01, 30.005), "NW": box(120, 30.005, 120.005, 30.01),
             "SW": box(120, 30, 120.005, 30.005), "NE": box(120.005, 30.005, 120.01, 30.01)}
    grids = grids_create(parent=root, level=4, specs=[GridSpec(name=k, geometry=v) for k, v in quads.items()])
    codes = {g.name: g.code for g in grids}
    assert codes == {"NW": "310999001000001", "NE": "310999001000002",
                     "SW": "310999001000003", "SE": "310999001000004"}


def test_overlapping_sibling_is_refused_naming_rule_and_grids(root):
    a = grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.005, 30.01))
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=root, level=4, name="乙", geometry=box(120.004, 30, 120.01, 30.01))
    assert err.value.rule == "overlaps_sibling"
    assert a.code in err.value.grids and "乙" in err.value.messages[0]
    assert not Grid.objects.filter(name="乙").exists()


def test_touching_siblings_are_fine(root):
    grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.005, 30.01))
    grid_create(parent=root, level=4, name="乙", geometry=box(120.005, 30, 120.01, 30.01))
    assert grid_coverage_report(parent=root)["complete"]


def test_self_intersecting_polygon_is_refused(root):
    bowtie = GEOSGeometry("POLYGON((120 30, 120.01 30.01, 120.01 30, 120 30.01, 120 30))", srid=4490)
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=root, level=4, name="蝴蝶", geometry=bowtie)
    assert err.value.rule == "geometry_invalid"
    assert "Self-intersection" in err.value.messages[0]


@pytest.mark.parametrize("geom,rule", [
    (box(10, 10, 11, 11), "geometry_outside_china"),
    ("POLYGON EMPTY", "geometry_empty"),
    ("LINESTRING(120 30, 120.01 30.01)", "geometry_type"),
    ("not a geometry", "geometry_unreadable"),
])
def test_bad_boundaries_are_refused(root, geom, rule):
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=root, level=4, name="坏", geometry=geom)
    assert err.value.rule == rule


def test_base_grid_must_lie_inside_parent_but_tolerates_noise(root):
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=root, level=4, name="出界", geometry=box(120.009, 30, 120.011, 30.01))
    assert err.value.rule == "outside_parent"
    # 1e-9 degrees (~0.1 mm) beyond the parent edge is digitising noise, accepted.
    grid_create(parent=root, level=4, name="贴边", geometry=box(120.009, 30, 120.01 + 1e-9, 30.01))


def test_special_grid_may_overlap_base_grids_but_not_leave_parent(root):
    grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.01, 30.01))
    special = grid_create(parent=root, level=4, name="市场", kind="market", geometry=box(120.002, 30.002, 120.004, 30.004))
    assert special.kind == "market"
    with pytest.raises(RuleViolation):
        grid_create(parent=root, level=4, name="出界市场", kind="market", geometry=box(120.009, 30, 120.02, 30.01))


def test_batch_reports_every_bad_feature_and_writes_nothing(root):
    before = Grid.objects.count()
    with pytest.raises(BatchRuleViolation) as err:
        grids_create(parent=root, level=4, specs=[
            GridSpec(name="好", geometry=box(120, 30, 120.005, 30.01)),
            GridSpec(name="叠", geometry=box(120.004, 30, 120.008, 30.01)),
            GridSpec(name="坏", geometry="POLYGON((120 30, 120.01 30.01, 120.01 30, 120 30.01, 120 30))"),
        ])
    rules = {(p["feature"], p["rule"]) for p in err.value.as_dict()["problems"]}
    assert rules == {("叠", "overlaps_sibling"), ("坏", "geometry_invalid")}
    assert Grid.objects.count() == before


def test_codes_are_never_reused_after_retirement(root):
    a = grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.005, 30.01))
    grid_retire(grid=a)
    b = grid_create(parent=root, level=4, name="乙", geometry=box(120, 30, 120.005, 30.01))
    assert a.code != b.code and b.code.endswith("002")
    assert GridCode.objects.filter(code=a.code).exists()
    assert Grid.objects.get(pk=a.pk).valid_to is not None


def test_boundary_edit_keeps_history_and_checks_version(root):
    a = grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.005, 30.01))
    grid_update(grid=a, geometry=box(120, 30, 120.006, 30.01), expected_version=1)
    assert list(GridVersion.objects.filter(grid=a).values_list("version", flat=True)) == [1, 2]
    with pytest.raises(RuleViolation) as err:
        grid_update(grid=a, geometry=box(120, 30, 120.004, 30.01), expected_version=1)
    assert err.value.rule == "stale_version"


def test_coverage_report_lists_gap_polygons_with_area(root):
    grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.005, 30.01))
    report = grid_coverage_report(parent=root)
    assert not report["complete"] and len(report["gaps"]) == 1
    # Half of a 0.01° square at 30°N: about 0.5 * 1113 m * 964 m.
    assert report["gap_area_m2"] == pytest.approx(0.5 * 1113.2 * 964.0 * 1.0, rel=0.01)


def test_demo_street_tiles_exactly(demo_grids):
    street = demo_grids["310106013000"]
    parents = [street] + [g for g in demo_grids.values() if g.level == 3 and g.kind == "base"]
    assert len(parents) == 12
    for parent in parents:
        report = grid_coverage_report(parent=parent)
        assert report["complete"], (parent.code, report["gap_area_m2"], report["overlap_area_m2"])
    assert sum(1 for g in demo_grids.values() if g.kind == "base") == 49


def test_locate_edge_point_goes_to_lowest_code(root):
    grid_create(parent=root, level=4, name="西", geometry=box(120, 30, 120.005, 30.01))
    grid_create(parent=root, level=4, name="东", geometry=box(120.005, 30, 120.01, 30.01))
    on_edge = locate(lon=120.005, lat=30.005)
    assert on_edge.grid["code"] == "310999001000001" and on_edge.near_boundary
    assert len(on_edge.candidates) == 2
    assert locate(lon=120.0075, lat=30.005).grid["code"] == "310999001000002"
    assert locate(lon=120.02, lat=30.005) is None


def test_retiring_a_grid_fires_the_boundary_hooks(root):
    from layers.grids import hooks
    seen = []

    def spy(*, grid_ids, area):
        seen.append((grid_ids, area))
    hooks.on_boundaries_changed(spy, stage="incidents")
    try:
        a = grid_create(parent=root, level=4, name="甲", geometry=box(120, 30, 120.005, 30.01))
        seen.clear()
        grid_retire(grid=a)
    finally:
        hooks.forget(spy)
    assert seen and seen[0][0] == [a.pk] and seen[0][1].equals(a.geometry)


def test_admin_change_form_keeps_hierarchy_and_code_read_only(client, demo_grids, make_user):
    admin_user = make_user("grid-admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    grid = demo_grids["310106013001001"]
    page = client.get(f"/admin/grids/grid/{grid.pk}/change/").content.decode()
    assert 'name="code"' not in page and 'name="parent"' not in page and 'name="name"' in page


def test_admin_saves_through_the_services_and_shows_broken_rules_on_the_form(demo_grids, make_user, rf):
    from django.contrib.admin.sites import site

    from layers.grids.admin import GridAdmin

    grid = demo_grids["310106013001001"]
    neighbour = demo_grids["310106013001002"]
    model_admin = GridAdmin(Grid, site)
    request = rf.post("/")
    request.user = make_user("grid-admin-2", is_staff=True, is_superuser=True)
    Form = model_admin.get_form(request, grid)
    base = {"kind": grid.kind, "use": grid.use, "name": "改名后的微网格", "station": grid.station_id or "",
            "geometry": grid.geometry.ewkt}
    form = Form(data=base, instance=grid)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.instance, form, change=True)
    grid.refresh_from_db()
    assert grid.name == "改名后的微网格" and grid.version == 1  # unchanged boundary: no new version
    # Taking the neighbour's boundary overlaps it: refused on the form, nothing saved.
    form = Form(data={**base, "geometry": neighbour.geometry.ewkt}, instance=Grid.objects.get(pk=grid.pk))
    assert not form.is_valid()
    assert "overlaps_sibling" in str(form.errors["geometry"])
