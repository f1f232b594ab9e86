"""The special-grids map counts, for a grid head, only what lies in their own scope: a special
grid reaching over several micro-grids shows them the addresses and households of theirs."""
import pytest

from layers.addresses.services import address_create
from layers.staff.models import Role
from layers.subjects.selectors import special_grid_figures

pytestmark = pytest.mark.django_db


def _special_over_two_micro_grids(demo_grids):
    micro = [g for g in demo_grids.values() if g.kind == "base" and g.level == 4]
    for special in (g for g in demo_grids.values() if g.kind != "base"):
        inside = [m for m in micro if special.geometry.intersection(m.geometry).area > 1e-9]
        if len(inside) >= 2:
            return special, inside[0], inside[1]
    pytest.skip("no special grid of the demo reaches over two micro-grids")


def test_a_grid_head_sees_households_of_their_own_micro_grid_only(demo_grids, make_user):
    special, mine, theirs = _special_over_two_micro_grids(demo_grids)
    base = special_grid_figures(user=make_user("sp-admin", is_superuser=True), ids=[special.pk])[special.pk]
    for grid, households in ((mine, 7), (theirs, 500)):
        p = special.geometry.intersection(grid.geometry).point_on_surface
        address = address_create(full_text=f"静安区特色路{households}号", lon=p.x, lat=p.y, households=households)
        assert address.grid_id == grid.pk
    head = make_user("sp-head", Role.GRID_HEAD, mine)
    own = special_grid_figures(user=head, ids=[special.pk])[special.pk]
    everything = special_grid_figures(user=make_user("sp-admin2", is_superuser=True), ids=[special.pk])[special.pk]
    assert everything["households"] - base["households"] == 507
    assert everything["addresses"] - base["addresses"] == 2
    # The head's figures are exactly those of the addresses in their micro-grid.
    from django.db.models import Count, Sum

    from layers.addresses.models import Address
    expected = Address.objects.filter(special_links__grid=special, grid=mine).aggregate(
        n=Count("id"), h=Sum("households"))
    assert own["addresses"] == expected["n"] and own["households"] == expected["h"]
    assert own["households"] < everything["households"] - 500 + 1
