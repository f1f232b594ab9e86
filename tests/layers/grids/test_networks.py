"""Grid networks: a party-building network over the same territory leaves every rule of the base
network as it was, and tiles itself by the same rules within its own network."""
import json
import math

import pytest
from django.db import connection

from layers.core.errors import RuleViolation
from layers.grids.locate import locate
from layers.grids.models import Grid, GridNetwork
from layers.grids.selectors import grid_coverage_report
from layers.grids.services import GridSpec, grid_create, grid_retire, grid_update, grids_create
from layers.staff.models import Role
from layers.staff.services import assignment_set
from tests.support import box

PARTY = GridNetwork.PARTY


def _micro_ids():
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM grids_micro ORDER BY id")
        return [r[0] for r in cur.fetchall()]


def _points(demo_grids):
    return {code: g.geometry.point_on_surface for code, g in demo_grids.items() if g.level == 4}


def _tile(lon, lat, z=14):
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def _base_reads(client, street):
    """What GIS clients read of the grids: the OGC collection and a vector tile over the street."""
    x, y = _tile(street.geometry.centroid.x, street.geometry.centroid.y)
    ogc = client.get("/ogc/collections/grids/items?limit=1000").json()["features"]
    return ogc, client.get(f"/tiles/grids/14/{x}/{y}.mvt?level=4").content, client.get(f"/tiles/grids/14/{x}/{y}.mvt").content


def _party_over(demo_grids, codes, root_code="P310106013000"):
    street = demo_grids["310106013000"]
    (root,) = grids_create(parent=None, level=2, network=PARTY,
                           specs=[GridSpec(name="党建网格", geometry=street.geometry, code=root_code)])
    geom = demo_grids[codes[0]].geometry
    for c in codes[1:]:
        geom = geom.union(demo_grids[c].geometry)
    (branch,) = grids_create(parent=root, level=3, network=PARTY, specs=[GridSpec(name="党总支", geometry=geom)])
    return root, branch


def test_a_party_network_over_the_street_changes_nothing_of_the_base_network(demo_grids, client, make_user):
    micro_before = _micro_ids()
    located_before = {c: locate(lon=p.x, lat=p.y).grid["id"] for c, p in _points(demo_grids).items()}
    street = demo_grids["310106013000"]
    coverage_before = grid_coverage_report(parent=street)
    client.force_login(make_user("viewer"))
    api_before = json.loads(client.get("/api/grids/").content)
    gis_before = _base_reads(client, street)
    assert len(gis_before[0]) > 40 and gis_before[1]
    # The party network overlaps the base tiling everywhere, down to groups of micro-grids.
    root, branch = _party_over(demo_grids, ["310106013001", "310106013002"])
    groups = grids_create(parent=branch, level=4, network=PARTY, specs=[
        GridSpec(name="一组", geometry=demo_grids["310106013001001"].geometry),
        GridSpec(name="二组", geometry=demo_grids["310106013001002"].geometry)])
    assert [g.code for g in groups] == [f"{branch.code}001", f"{branch.code}002"]
    assert branch.code == "P310106013000001" and all(g.network == PARTY for g in [root, branch, *groups])
    # Base reads: micro-grids, the one locate, coverage, the grids API, Grid.objects.
    assert _micro_ids() == micro_before
    assert {c: locate(lon=p.x, lat=p.y).grid["id"] for c, p in _points(demo_grids).items()} == located_before
    assert grid_coverage_report(parent=street) == coverage_before
    assert json.loads(client.get("/api/grids/").content) == api_before
    assert _base_reads(client, street) == gis_before
    assert not Grid.objects.filter(network=PARTY).exists()
    assert Grid.all_networks.filter(network=PARTY).count() == 4
    # The party grids are readable where a reader names the network.
    party_api = json.loads(client.get("/api/networks/party/grids/?level=4").content)
    assert [f["properties"]["code"] for f in party_api["features"]] == [g.code for g in groups]


def test_the_party_network_tiles_itself_by_the_same_rules(demo_grids):
    root, branch = _party_over(demo_grids, ["310106013001"])
    # A second branch overlapping the first is refused, as base siblings are ...
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=root, level=3, network=PARTY, name="重叠", geometry=demo_grids["310106013001001"].geometry)
    assert err.value.rule == "overlaps_sibling"
    # ... and so is a group outside its branch.
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=branch, level=4, network=PARTY, name="越界", geometry=demo_grids["310106013002001"].geometry)
    assert err.value.rule == "outside_parent"
    # An edit that would overlap a sibling is refused; the boundary is versioned like any grid.
    (other,) = grids_create(parent=root, level=3, network=PARTY,
                            specs=[GridSpec(name="二支", geometry=demo_grids["310106013002"].geometry)])
    with pytest.raises(RuleViolation) as err:
        grid_update(grid=other, geometry=demo_grids["310106013002"].geometry.union(demo_grids["310106013001001"].geometry))
    assert err.value.rule == "overlaps_sibling"
    smaller = demo_grids["310106013002001"].geometry
    other = grid_update(grid=other, geometry=smaller)
    assert other.version == 2 and other.versions.count() == 2
    grid_retire(grid=other)
    assert Grid.all_networks.get(pk=other.pk).valid_to is not None


def test_networks_do_not_mix(demo_grids):
    root, branch = _party_over(demo_grids, ["310106013001"])
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=branch, level=4, name="行政子网格", geometry=demo_grids["310106013001001"].geometry)
    assert err.value.rule == "network_mismatch"
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=demo_grids["310106013001"], level=4, network=PARTY, name="x",
                    geometry=demo_grids["310106013001001"].geometry)
    assert err.value.rule == "network_mismatch"
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=branch, level=4, network=PARTY, kind="market", name="x",
                    geometry=demo_grids["310106013001001"].geometry)
    assert err.value.rule == "network_kind"
    with pytest.raises(RuleViolation) as err:
        grid_create(parent=None, level=2, network=PARTY, name="x", geometry=box(121.40, 31.20, 121.41, 31.21),
                    code="310106099000")
    assert err.value.rule == "code_format"


def test_party_roles_are_held_on_party_grids_only(demo_grids, make_user):
    _root, branch = _party_over(demo_grids, ["310106013001"])
    user = make_user("pgl")
    assignment_set(user=user, role=Role.BRANCH_SECRETARY, grid=branch)
    with pytest.raises(RuleViolation) as err:
        assignment_set(user=user, role=Role.PARTY_GROUP_LEADER, grid=demo_grids["310106013001001"])
    assert err.value.rule == "role_network"
    with pytest.raises(RuleViolation) as err:
        assignment_set(user=user, role=Role.GRID_HEAD, grid=branch)
    assert err.value.rule == "role_network"
