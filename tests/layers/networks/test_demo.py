"""The demo party network: drawn from the demo grids, tiling the street within its own network,
its leaders listed by demo_banner, its matters handed to the micro-grids holding their points."""
from io import StringIO

from django.core.management import call_command

from layers.grids.locate import locate
from layers.grids.models import Grid, GridNetwork
from layers.incidents.models import Incident, Source
from layers.networks import demo
from layers.staff.models import Assignment, Role


def test_the_demo_party_network(demo_grids, taxonomy):
    base_before = Grid.objects.filter(valid_to__isnull=True).count()
    demo.load()
    demo.load()  # idempotent
    party = Grid.all_networks.filter(network=GridNetwork.PARTY, valid_to__isnull=True)
    root = party.get(level=2)
    branches, groups = list(party.filter(level=3)), list(party.filter(level=4))
    assert len(branches) == 6 and len(groups) >= 10
    # The branches tile the street, the groups tile their branch (areas agree to a square metre).
    street = demo_grids["310106013000"]
    assert abs(sum(b.geometry.area for b in branches) - street.geometry.area) < 1e-9
    assert abs(root.geometry.area - street.geometry.area) < 1e-12
    for b in branches:
        assert abs(sum(g.geometry.area for g in groups if g.parent_id == b.pk) - b.geometry.area) < 1e-9
    assert Grid.objects.filter(valid_to__isnull=True).count() == base_before
    leaders = Assignment.objects.filter(role=Role.PARTY_GROUP_LEADER).select_related("user", "grid")
    assert {a.grid_id for a in leaders} == {g.pk for g in groups}
    matters = list(Incident.objects.filter(source=Source.PARTY_GRID))
    assert matters and all(m.origin_grid.network == GridNetwork.PARTY for m in matters)
    for m in matters:
        assert m.grid_id == locate(lon=m.geometry.x, lat=m.geometry.y).grid["id"]
        assert m.origin_grid.geometry.covers(m.geometry)
    out = StringIO()
    call_command("demo_banner", stdout=out)
    assert f"party-{groups[0].code}" in out.getvalue() and "/party/" in out.getvalue()
