"""The party-building grid discovers, the administrative grid handles (双网联动)."""
import pytest

from layers.core.errors import RuleViolation
from layers.grids.locate import locate
from layers.incidents.models import Incident, Source, Status
from layers.incidents.selectors import incident_list
from layers.incidents.services import incident_create, incident_transition
from layers.networks.selectors import party_matter_list
from layers.networks.services import party_matter_raise
from layers.staff.models import Role


@pytest.fixture
def leader(party, make_user):
    group, _micro = party["groups"][1]
    return make_user("pgl-2", Role.PARTY_GROUP_LEADER, group)


def test_a_matter_raised_in_a_party_grid_lands_in_the_micro_grid_holding_its_point(party, leader, taxonomy):
    """The check scenario: each micro-grid under the party group gets the matter raised at its
    point, through the one locate, with the party grid as its origin."""
    group, micro = party["groups"][1]
    for grid in micro:
        p = grid.geometry.point_on_surface
        incident, created = party_matter_raise(user=leader, grid=group, lon=p.x, lat=p.y, crs="cgcs2000",
                                               description=f"楼道堆物 {grid.code}", type="PF01")
        assert created
        incident.refresh_from_db()
        assert incident.grid_id == grid.pk == locate(lon=p.x, lat=p.y).grid["id"]
        assert incident.source == Source.PARTY_GRID and incident.origin_grid_id == group.pk
        assert incident.status == Status.REPORTED
        created_event = incident.events.get(kind="created")
        assert created_event.data["origin"] == {"network": "party", "grid": group.code, "name": group.name}
        assert created_event.data["grid"] == grid.code
    assert party_matter_list(user=leader).count() == len(micro)


def test_the_party_leader_sees_only_their_networks_matters_and_their_outcome(party, leader, make_user, taxonomy,
                                                                            demo_grids):
    group, micro = party["groups"][1]
    other_group, other_micro = party["groups"][0]
    other_leader = make_user("pgl-1", Role.PARTY_GROUP_LEADER, other_group)
    p = micro[0].geometry.point_on_surface
    mine, _ = party_matter_raise(user=leader, grid=group, lon=p.x, lat=p.y, crs="cgcs2000",
                                 description="井盖缺失", type="PF01")
    q = other_micro[0].geometry.point_on_surface
    theirs, _ = party_matter_raise(user=other_leader, grid=other_group, lon=q.x, lat=q.y, crs="cgcs2000",
                                   description="路灯不亮", type="PF01")
    ordinary = incident_create(lon=p.x, lat=p.y, crs="cgcs2000", description="居民来电", type="PF01")
    # The party side: its own matters only, never the ordinary case at the same point.
    assert list(party_matter_list(user=leader).values_list("pk", flat=True)) == [mine.pk]
    assert list(party_matter_list(user=other_leader).values_list("pk", flat=True)) == [theirs.pk]
    assert incident_list(user=leader).count() == 0
    # The branch secretary above both groups follows both.
    secretary = make_user("bs-1", Role.BRANCH_SECRETARY, party["branch"])
    assert set(party_matter_list(user=secretary).values_list("pk", flat=True)) == {mine.pk, theirs.pk}
    # The administrative side works it as any case and sees where it came from.
    head = make_user("head-x", Role.GRID_HEAD, micro[0])
    assert set(incident_list(user=head).values_list("pk", flat=True)) >= {mine.pk, ordinary.pk}
    incident_transition(incident=Incident.objects.get(pk=mine.pk), user=head, to=Status.ACCEPTED)
    assert party_matter_list(user=leader).get().status == Status.ACCEPTED


def test_a_point_outside_the_party_grid_is_refused_and_stores_nothing(party, leader, taxonomy):
    group, _micro = party["groups"][1]
    _other, other_micro = party["groups"][0]
    p = other_micro[0].geometry.point_on_surface
    with pytest.raises(RuleViolation) as err:
        party_matter_raise(user=leader, grid=group, lon=p.x, lat=p.y, crs="cgcs2000", description="x", type="PF01")
    assert err.value.rule == "outside_party_grid"
    assert Incident.objects.count() == 0


def test_the_party_source_needs_its_origin_and_the_origin_its_network(party, demo_grids, inside, taxonomy):
    lon, lat = inside("310106013001001")
    with pytest.raises(RuleViolation) as err:
        incident_create(lon=lon, lat=lat, description="x", type="PF01", source=Source.PARTY_GRID)
    assert err.value.rule == "origin_required"
    with pytest.raises(RuleViolation) as err:
        incident_create(lon=lon, lat=lat, description="x", type="PF01", source=Source.PARTY_GRID,
                        origin_grid=demo_grids["310106013001"])
    assert err.value.rule == "origin_network"
    assert Incident.objects.count() == 0
