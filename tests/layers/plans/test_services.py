
import pytest
import shapely

from layers.addresses.models import Address
from layers.core.errors import RuleViolation
from layers.grids.geometry import geodesic_area_m2
from layers.grids.models import Grid, GridVersion
from layers.grids.locate import locate
from layers.plans.models import PlanGrid, PlanStatus
from layers.plans.services import (PlanConflict, plan_create, plan_draw, plan_impact, plan_merge, plan_publish,
                                   plan_redo, plan_split, plan_undo, plan_update_grid, plan_validate)

from tests.support import AREA, add_addresses, crossing_line, shp

pytestmark = pytest.mark.django_db


def test_new_plan_copies_the_current_base_children_and_fingerprints_them(demo_grids, make_user):
    parent = demo_grids[AREA]
    plan = plan_create(parent=parent)
    children = Grid.objects.filter(parent=parent, valid_to__isnull=True, kind="base")
    assert sorted(pg.source_grid_id for pg in plan.grids.all()) == sorted(c.pk for c in children)
    assert plan.base_fingerprint == [[c.pk, c.version] for c in children.order_by("pk")]
    assert plan.level == 4
    assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []


def test_split_with_a_line_stopping_metres_short_of_the_edge_still_splits(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.first()
    area = geodesic_area_m2(shp(pg.geometry))
    halves = plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg, short_m=3.0))
    assert len(halves) == 2
    assert sum(geodesic_area_m2(shp(h.geometry)) for h in halves) == pytest.approx(area, rel=1e-4)
    assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []


def test_split_refuses_a_line_that_misses_the_grid(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.first()
    minx, miny, maxx, maxy = shp(pg.geometry).bounds
    far = {"type": "LineString", "coordinates": [[maxx + 0.01, miny], [maxx + 0.01, maxy]]}
    with pytest.raises(RuleViolation) as err:
        plan_split(plan=plan, grid=pg.pk, line=far)
    assert err.value.rule == "split_no_cut"
    assert PlanGrid.objects.filter(pk=pg.pk).exists()


def test_merge_refuses_grids_that_share_no_edge(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    pgs = list(plan.grids.all())
    shapes = {p.pk: shp(p.geometry) for p in pgs}
    apart = next((a, b) for a in pgs for b in pgs if a.pk < b.pk and shapes[a.pk].distance(shapes[b.pk]) > 1e-6)
    with pytest.raises(RuleViolation) as err:
        plan_merge(plan=plan, grids=[apart[0].pk, apart[1].pk])
    assert err.value.rule == "merge_not_adjacent"


def test_merge_undo_redo_round_trip(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    pgs = list(plan.grids.all())
    shapes = {p.pk: shp(p.geometry) for p in pgs}
    a, b = next((a, b) for a in pgs for b in pgs
                if a.pk < b.pk and shapes[a.pk].boundary.intersection(shapes[b.pk].buffer(1e-9)).length > 1e-5)
    merged = plan_merge(plan=plan, grids=[a.pk, b.pk])
    assert plan.grids.count() == len(pgs) - 1
    assert geodesic_area_m2(shp(merged.geometry)) == pytest.approx(
        geodesic_area_m2(shapes[a.pk]) + geodesic_area_m2(shapes[b.pk]), rel=1e-4)
    plan_undo(plan=plan)
    assert sorted(plan.grids.values_list("pk", flat=True)) == sorted(p.pk for p in pgs)
    plan_redo(plan=plan)
    assert plan.grids.count() == len(pgs) - 1 and plan.grids.filter(pk=merged.pk).exists()
    with pytest.raises(RuleViolation):
        plan_redo(plan=plan)


def test_vertex_edit_keeps_the_tiling_and_rename_is_undoable(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.first()
    s = shp(pg.geometry)
    grown = shapely.affinity.scale(s, 1.2, 1.2)  # pushes into neighbours and out of the parent
    plan_update_grid(plan=plan, grid=pg.pk, geometry=shapely.geometry.mapping(grown), name="新名字")
    errors = [p for p in plan_validate(plan=plan) if p["severity"] == "error"]
    assert errors == [], [(e["detail"], e["area_m2"], e["geometry"]) for e in errors]
    shrunk = shapely.affinity.scale(s, 0.7, 0.7)
    plan_update_grid(plan=plan, grid=pg.pk, geometry=shapely.geometry.mapping(shrunk))
    assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []
    plan_undo(plan=plan)
    plan_undo(plan=plan)
    pg.refresh_from_db()
    assert pg.name != "新名字" and shp(pg.geometry).equals(s)


def test_validation_reports_gap_and_overlap_with_geometry(demo_grids):
    plan = plan_create(parent=demo_grids[AREA])
    pg = plan.grids.first()
    s = shp(pg.geometry)
    PlanGrid.objects.filter(pk=pg.pk).update(geometry=shapely.to_wkt(shapely.affinity.scale(s, 0.8, 0.8)))
    other = plan.grids.exclude(pk=pg.pk).first()
    PlanGrid.objects.filter(pk=other.pk).update(
        geometry=shapely.to_wkt(shapely.affinity.scale(shp(other.geometry), 1.1, 1.1)))
    rules = {p["rule"] for p in plan_validate(plan=plan)}
    assert {"gap", "overlap"} <= rules
    assert all(p["geometry"] for p in plan_validate(plan=plan) if p["rule"] in ("gap", "overlap"))
    with pytest.raises(RuleViolation) as err:
        plan_publish(plan=plan)
    assert err.value.rule == "plan_invalid"


def test_publish_retires_the_split_grid_creates_two_and_replaces_addresses(demo_grids):
    parent = demo_grids[AREA]
    add_addresses(parent)
    plan = plan_create(parent=parent)
    pg = plan.grids.order_by("pk").first()
    old = pg.source_grid
    plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg, short_m=2.0))
    impact = plan_impact(plan=plan)
    assert impact["retire"] == [{"id": old.pk, "code": old.code, "name": old.name}]
    moved = sum(f["addresses"] for f in impact["flows"] if f["moves"])
    before_count = Address.objects.filter(grid=old).count()
    assert moved == before_count
    result = plan_publish(plan=plan)
    old.refresh_from_db()
    assert old.valid_to is not None
    assert not GridVersion.objects.filter(grid=old, valid_to__isnull=True).exists()
    assert len(result["created"]) == 2
    new_codes = [c["code"] for c in result["created"]]
    assert all(c.startswith(parent.code) and c != old.code for c in new_codes)
    current = set(Grid.objects.filter(valid_to__isnull=True).values_list("pk", flat=True))
    assert all(a.grid_id in current for a in Address.objects.filter(geometry__within=parent.geometry))
    assert Address.objects.filter(grid_id__in=[c["id"] for c in result["created"]]).count() == before_count
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED


def test_second_publish_on_the_same_parent_gets_a_conflict_and_keeps_its_draft(demo_grids):
    parent = demo_grids[AREA]
    first, second = plan_create(parent=parent), plan_create(parent=parent)
    pg1 = first.grids.order_by("pk").first()
    plan_split(plan=first, grid=pg1.pk, line=crossing_line(pg1))
    pg2 = second.grids.order_by("pk").last()
    plan_split(plan=second, grid=pg2.pk, line=crossing_line(pg2))
    draft = sorted((g.pk, g.geometry.wkt) for g in second.grids.all())
    plan_publish(plan=first)
    with pytest.raises(PlanConflict):
        plan_publish(plan=second)
    second.refresh_from_db()
    assert second.status == PlanStatus.DRAFT and second.cursor == 1
    assert sorted((g.pk, g.geometry.wkt) for g in second.grids.all()) == draft


def test_draw_takes_area_from_neighbours(demo_grids):
    parent = demo_grids[AREA]
    plan = plan_create(parent=parent)
    c = shp(parent.geometry).centroid
    square = shapely.box(c.x - 0.0008, c.y - 0.0008, c.x + 0.0008, c.y + 0.0008)
    pg = plan_draw(plan=plan, geometry=shapely.geometry.mapping(square), name="新网格")
    assert pg.origin == "draw"
    assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []


def test_boundary_edit_publishes_in_place_keeping_codes_with_new_versions(demo_grids):
    parent = demo_grids[AREA]
    add_addresses(parent, n=40, seed=3)
    plan = plan_create(parent=parent)
    pg = plan.grids.order_by("pk").first()
    codes = set(Grid.objects.filter(parent=parent, valid_to__isnull=True).values_list("code", flat=True))
    grown = shapely.affinity.scale(shp(pg.geometry), 1.15, 1.15)
    plan_update_grid(plan=plan, grid=pg.pk, geometry=shapely.geometry.mapping(grown))
    result = plan_publish(plan=plan)
    assert result["created"] == [] and result["retired"] == []
    assert pg.source_grid.code in [u["code"] for u in result["updated"]]
    assert set(Grid.objects.filter(parent=parent, valid_to__isnull=True).values_list("code", flat=True)) == codes
    src = Grid.objects.get(pk=pg.source_grid_id)
    assert src.version == 2 and GridVersion.objects.filter(grid=src).count() == 2
    for a in Address.objects.filter(geometry__within=parent.geometry):
        assert a.grid_id == locate(lon=a.geometry.x, lat=a.geometry.y).grid["id"]


def test_impact_counts_subjects_and_open_incidents_that_move(demo_grids):
    from layers.incidents.models import IncidentType
    from layers.incidents.services import incident_create
    from layers.subjects.services import subject_create

    parent = demo_grids[AREA]
    addresses = add_addresses(parent, n=40, seed=5)
    plan = plan_create(parent=parent)
    pg = plan.grids.order_by("pk").first()
    inside = [a for a in addresses if a.grid_id == pg.source_grid_id]
    assert inside
    subject_create(address=inside[0], name="张三", category="other")
    kind = IncidentType.objects.create(name="测试", code="plan-test")
    incident_create(lon=inside[-1].geometry.x, lat=inside[-1].geometry.y, description="井盖缺失", type=kind)
    plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg))
    impact = plan_impact(plan=plan)
    assert impact["moved"]["addresses"] == len(inside)
    assert impact["moved"]["subjects"] == 1 and impact["moved"]["incidents"] == 1


def test_after_publish_the_point_answers_with_the_grid_of_each_date(demo_grids, client, make_user):
    import datetime as dt

    from django.utils import timezone

    parent = demo_grids[AREA]
    plan = plan_create(parent=parent)
    pg = plan.grids.order_by("pk").first()
    old = pg.source_grid
    plan_split(plan=plan, grid=pg.pk, line=crossing_line(pg, short_m=2.0))
    created = plan_publish(plan=plan)["created"]
    point = Grid.objects.get(pk=created[0]["id"]).geometry.point_on_surface
    client.force_login(make_user("history-reader"))
    today = timezone.localdate()

    def grid_on(day):
        resp = client.get("/api/locate/", {"lon": point.x, "lat": point.y, "date": day.isoformat()})
        assert resp.status_code == 200, resp.content
        return resp.json()["grid"]["code"]

    assert grid_on(today - dt.timedelta(days=1)) == old.code
    assert grid_on(today) == created[0]["code"]
    assert client.get("/api/locate/", {"lon": point.x, "lat": point.y}).json()["grid"]["code"] == created[0]["code"]
    # Before the demo street existed no grid held the point.
    assert client.get("/api/locate/", {"lon": point.x, "lat": point.y, "date": "2020-01-01"}).status_code == 404
