import pytest
from django.db.models import Sum

from layers.addresses import demo
from layers.addresses.models import Address
from layers.grids.models import Grid

pytestmark = pytest.mark.django_db


def test_demo_addresses_are_plausible_idempotent_and_include_edges_and_gaps(demo_grids):
    demo.load()
    n = Address.objects.count()
    assert 4500 <= n <= 6500
    demo.load()
    assert Address.objects.count() == n
    assert Address.objects.filter(grid__isnull=True).count() >= 3          # outside every grid on purpose
    assert Address.objects.filter(edge_distance_m=0).count() >= 5           # exactly on shared edges
    micro = dict(Address.objects.filter(grid__use="residential").values_list("grid").annotate(h=Sum("households")))
    assert all(150 <= h <= 650 for h in micro.values())
    assert any(not 200 <= h <= 500 for h in micro.values())                # a few break the band
    by_area = {}
    for g in Grid.objects.filter(pk__in=micro):
        by_area[g.parent_id] = by_area.get(g.parent_id, 0) + micro[g.pk]
    assert sum(900 <= h <= 2100 for h in by_area.values()) >= len(by_area) - 1
    business = Address.objects.filter(grid__use="business_building")
    assert business.filter(kind__in=["office", "shop"]).count() > 0.8 * business.count()
