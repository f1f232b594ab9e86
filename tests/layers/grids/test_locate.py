"""The one locate (layers/grids/locate.py) and every caller of it: edges, gaps, dates and plans."""
import datetime as dt
import json
import random

import pytest
import shapely
from django.contrib.gis.geos import Point, Polygon
from rest_framework.test import APIClient

from layers.addresses.models import Address
from layers.addresses.services import addresses_assign_all
from layers.grids.locate import locate, locate_in_plan, locate_json, locate_many
from layers.grids.models import Grid
from layers.grids.selectors import grid_leaf_base_ids
from layers.grids.services import grid_create, grid_retire, grid_update
from layers.incidents.models import Incident
from layers.incidents.services import incident_create, incident_reroute_open
from layers.incidents.taxonomy import taxonomy_ensure
from layers.subjects.selectors import service_card_get

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 1)
GAP_IN_COMMUNITY = (120.009, 30.005)   # in the community, east of its two micro-grids
GAP_IN_STREET = (120.015, 30.005)      # in the street, outside its community


def box(x0, y0, x1, y1):
    return Polygon.from_bbox((x0, y0, x1, y1))


@pytest.fixture
def town():
    """A street (level 2) with one community (level 3, its west half) holding two micro-grids
    (level 4) that leave the community's east strip uncovered: gaps at two depths."""
    street = grid_create(parent=None, level=2, name="测试街道", code="310999001000", geometry=box(120, 30, 120.02, 30.01),
                         valid_from=START)
    community = grid_create(parent=street, level=3, name="测试社区", code="310999001009",
                           geometry=box(120, 30, 120.01, 30.01), valid_from=START)
    west = grid_create(parent=community, level=4, name="西", geometry=box(120, 30, 120.004, 30.01), valid_from=START)
    east = grid_create(parent=community, level=4, name="东", geometry=box(120.004, 30, 120.008, 30.01), valid_from=START)
    return {"street": street, "community": community, "west": west, "east": east}


def brief(g: Grid) -> dict:
    return {"id": g.pk, "code": g.code, "name": g.name, "level": g.level}


def test_micro_grid_view_is_the_one_definition(town):
    assert set(grid_leaf_base_ids(under=town["street"])) == {town["west"].pk, town["east"].pk}
    assert town["west"].pk in set(grid_leaf_base_ids()) and town["community"].pk not in set(grid_leaf_base_ids())
    grid_retire(grid=town["east"])
    grid_retire(grid=town["west"])
    assert set(grid_leaf_base_ids(under=town["street"])) == {town["community"].pk}  # no current base child left


def test_edge_goes_to_the_lowest_code_and_the_answer_names_the_chain(town):
    loc = locate(lon=120.004, lat=30.005)
    assert town["west"].code < town["east"].code
    assert loc.grid == brief(town["west"]) and not loc.gap and loc.near_boundary and loc.edge_distance_m == 0
    assert [c["id"] for c in loc.candidates] == [town["west"].pk, town["east"].pk]
    assert loc.chain == [brief(town["west"]), brief(town["community"]), brief(town["street"])]
    assert loc.route == loc.grid


def test_deeper_level_wins_over_a_shallower_micro_grid(town):
    # A second community without children is itself a micro-grid (level 3); on the edge it
    # shares with the level-4 micro-grid "east", the deeper one wins whatever the codes.
    other = grid_create(parent=town["street"], level=3, name="新社区", geometry=box(120.01, 30, 120.02, 30.01),
                        code="310999001003", valid_from=START)
    assert other.code < town["east"].code
    grid_update(grid=town["east"], geometry=box(120.004, 30, 120.01, 30.01))
    assert locate(lon=120.01, lat=30.005).grid["id"] == town["east"].pk
    assert locate(lon=120.015, lat=30.005).grid["id"] == other.pk


def test_gap_answer_is_the_chain_of_base_grids_covering_the_point(town):
    loc = locate(lon=GAP_IN_COMMUNITY[0], lat=GAP_IN_COMMUNITY[1])
    assert loc.gap and loc.grid is None and loc.edge_distance_m is None
    assert loc.chain == [brief(town["community"]), brief(town["street"])]
    assert loc.route == brief(town["community"])
    loc = locate(lon=GAP_IN_STREET[0], lat=GAP_IN_STREET[1])
    assert loc.gap and loc.chain == [brief(town["street"])]
    assert locate(lon=120.03, lat=30.005) is None  # outside every grid


def test_a_gap_point_gives_the_same_answer_through_the_api_intake_and_service_card(town, make_user, client):
    taxonomy_ensure()
    client.force_login(make_user("locator"))
    lon, lat = GAP_IN_COMMUNITY
    r = client.get("/api/locate/", {"lon": lon, "lat": lat})
    assert r.status_code == 404
    d = r.json()
    assert d["gap"] is True and d["detail"]
    assert d["chain"] == [brief(town["community"]), brief(town["street"])]

    api = APIClient()
    api.force_authenticate(make_user("resident-1"))
    r = api.post("/api/incidents/", {"lon": lon, "lat": lat, "crs": "wgs84", "incident_class": "general",
                                     "type": "CA01", "description": "空隙里的事", "source": "resident"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["grid"]["id"] == d["chain"][0]["id"]
    incident = Incident.objects.get(pk=r.json()["id"])
    assert incident.in_gap and incident.grid_id == town["community"].pk

    card = service_card_get(lon=lon, lat=lat)
    assert card["gap"] is True and card["grid"]["code"] == d["chain"][0]["code"]
    r = client.get("/api/service-card/", {"lon": lon, "lat": lat})
    assert r.status_code == 200 and r.json()["grid"]["code"] == town["community"].code and r.json()["gap"] is True


def test_incident_outside_a_gap_is_not_flagged_and_outside_every_grid_is_refused(town, make_user):
    from layers.core.errors import RuleViolation

    taxonomy_ensure()
    user = make_user("resident-2")
    i = incident_create(user=user, lon=120.002, lat=30.005, description="楼道", type="CA01")
    assert i.grid_id == town["west"].pk and not i.in_gap
    with pytest.raises(RuleViolation):
        incident_create(user=user, lon=120.03, lat=30.005, description="城外", type="CA01")


def test_incident_in_a_gap_is_rerouted_when_a_micro_grid_covers_it(town, make_user):
    taxonomy_ensure()
    i = incident_create(user=make_user("resident-3"), lon=GAP_IN_COMMUNITY[0], lat=GAP_IN_COMMUNITY[1],
                        description="空隙", type="CA01")
    assert i.in_gap and i.grid_id == town["community"].pk
    # Widening "east" fires the boundary hooks, which re-route open cases through the same locate.
    grid_update(grid=town["east"], geometry=box(120.004, 30, 120.01, 30.01))
    incident_reroute_open(grid_ids=[town["community"].pk])
    i.refresh_from_db()
    assert i.grid_id == town["east"].pk and not i.in_gap


def test_batch_answers_gaps_with_their_chain_and_nothing_outside(town):
    points = [(120.002, 30.005), GAP_IN_COMMUNITY, (120.03, 30.005)]
    texts = locate_json(points)
    first, gap = json.loads(texts[0]), json.loads(texts[1])
    assert first["grid"]["id"] == town["west"].pk and first["gap"] is False
    assert gap["grid"] is None and gap["gap"] is True and gap["chain"][0]["id"] == town["community"].pk
    assert texts[2] is None
    assert [loc and loc.route["id"] for loc in locate_many(points)] == [town["west"].pk, town["community"].pk, None]


def test_dated_lookup_uses_the_boundaries_valid_then_gaps_included(town):
    grid_update(grid=town["west"], geometry=box(120, 30, 120.003, 30.01))   # today: (120.0035) is a gap
    then = dt.date(2025, 6, 1)
    assert locate(lon=120.0035, lat=30.005, on=then).grid["id"] == town["west"].pk
    today = locate(lon=120.0035, lat=30.005)
    assert today.gap and today.route["id"] == town["community"].pk
    assert locate(lon=120.0035, lat=30.005, on=dt.date(2024, 6, 1)) is None  # before any grid
    # Before the micro-grids existed the community was itself a micro-grid.
    grid_retire(grid=town["east"])
    past = locate(lon=120.006, lat=30.005, on=then)
    assert past.grid["id"] == town["east"].pk


def test_in_plan_lookup_breaks_ties_by_code_not_by_id():
    a = shapely.box(0, 0, 1, 1)
    b = shapely.box(1, 0, 2, 1)
    new = shapely.box(0, 1, 2, 2)
    # Plan grid 5 continues the live code ...002, plan grid 9 the code ...001: the edge goes to 9.
    grids = [(5, "310999001000002", a), (9, "310999001000001", b), (3, "", new)]
    assert locate_in_plan(plan_grids=grids, points=[(1, 0.5), (0.5, 0.5), (1, 1), (5, 5)]) == [9, 5, 9, None]
    # New grids (no code yet) come after coded ones, then by id.
    assert locate_in_plan(plan_grids=[(7, "", a), (4, "", b)], points=[(1, 0.5)]) == [4]


def test_in_process_index_agrees_with_the_bulk_assignment_on_every_point(demo_grids):
    """The lookup and assign_micro.sql apply the same rules, edges and gaps included."""
    rng = random.Random(5)
    street = demo_grids["310106013000"].geometry.extent
    points = [(rng.uniform(street[0] - 0.002, street[2] + 0.002), rng.uniform(street[1] - 0.002, street[3] + 0.002))
              for _ in range(1500)]
    for g in demo_grids.values():  # every vertex of every micro-grid: exactly on edges, where the edge rule decides
        if g.level == 4:
            points += [tuple(c) for c in shapely.get_coordinates(shapely.from_wkb(bytes(g.geometry.wkb)))]
    Address.objects.bulk_create([Address(full_text=f"点{i}", geometry=Point(x, y, srid=4490))
                                 for i, (x, y) in enumerate(points)])
    addresses_assign_all(full=True)
    stored = {a.full_text: (a.grid_id, a.edge_distance_m, a.near_boundary)
              for a in Address.objects.filter(full_text__startswith="点")}
    located = locate_many(points)
    assert sum(loc is not None and not loc.gap for loc in located) > 1000
    for i, loc in enumerate(located):
        grid_id, edge, near = stored[f"点{i}"]
        if loc is None or loc.gap:
            assert grid_id is None
        else:
            assert grid_id == loc.grid["id"] and near == loc.near_boundary
            assert abs(edge - loc.edge_distance_m) <= 0.011


def test_moving_an_incident_into_and_out_of_a_gap_follows_the_same_rule(town, make_user):
    from layers.incidents.services import incident_move

    taxonomy_ensure()
    user = make_user("resident-4")
    i = incident_create(user=user, lon=120.002, lat=30.005, description="楼道", type="CA01")
    i = incident_move(incident=i, user=user, lon=GAP_IN_STREET[0], lat=GAP_IN_STREET[1])
    i.refresh_from_db()
    assert i.in_gap and i.grid_id == town["street"].pk
    assert Incident.objects.get(pk=i.pk).events.filter(kind="moved").exists()
    i = incident_move(incident=i, user=user, lon=120.006, lat=30.005)
    i.refresh_from_db()
    assert not i.in_gap and i.grid_id == town["east"].pk


def test_plan_impact_keeps_an_edge_point_with_the_lowest_code_in_sql_and_python(town, make_user):
    from layers.plans.services import plan_create, plan_households, plan_impact
    from layers.subjects.services import subject_create

    taxonomy_ensure()
    edge = Address.objects.create(full_text="边界上", geometry=Point(120.004, 30.005, srid=4490), households=3)
    addresses_assign_all()
    edge.refresh_from_db()
    assert edge.grid_id == town["west"].pk == locate(lon=120.004, lat=30.005).grid["id"]
    subject_create(address=edge, name="张三", category="other")
    incident_create(user=make_user("resident-5"), lon=120.004, lat=30.005, description="边界上的事", type="CA01")
    plan = plan_create(parent=town["community"])
    west_pg = plan.grids.get(source_grid=town["west"])
    assert plan_households(plan=plan)[west_pg.pk] == {"addresses": 1, "households": 3}
    impact = plan_impact(plan=plan)
    assert impact["moved"] == {"addresses": 0, "households": 0, "subjects": 0, "incidents": 0}
    flow = next(f for f in impact["flows"] if f["from"] and f["from"]["id"] == town["west"].pk)
    assert flow["to"]["id"] == west_pg.pk and flow["addresses"] == 1 and flow["subjects"] == 1 and flow["incidents"] == 1


def test_one_point_answers_exactly_as_in_a_batch_edges_gaps_and_outside(demo_grids, town):
    """A single lookup takes the scalar path (_Index.locate_one): its text equals the batch's
    for the same point, on vertices (edge rule), in gaps, outside every grid."""
    rng = random.Random(11)
    street = demo_grids["310106013000"].geometry.extent
    points = [(rng.uniform(street[0] - 0.002, street[2] + 0.002), rng.uniform(street[1] - 0.002, street[3] + 0.002))
              for _ in range(400)]
    for g in demo_grids.values():
        if g.level == 4:
            points += [tuple(c) for c in shapely.get_coordinates(shapely.from_wkb(bytes(g.geometry.wkb)))][:6]
    points += [(120.002, 30.005), GAP_IN_COMMUNITY, GAP_IN_STREET, (120.004, 30.005), (120.03, 30.005)]
    batch = locate_json(points)
    single = [locate_json([p])[0] for p in points]
    assert single == batch
    assert sum(t is None for t in batch) > 0 and sum(t is not None and '"gap":true' in t for t in batch) >= 2
    assert sum(t is not None and '"gap":false' in t for t in batch) > 200
