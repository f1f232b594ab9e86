"""The demo's planted patterns are statistically true: Gi* finds the hotspot and the quiet area."""
import datetime as dt

from django.db.models import Count, F

import geopandas as gpd
import numpy as np
import pytest
import shapely
from django.utils import timezone
from esda.getisord import G_Local
from libpysal.weights import Queen

from layers.grids.models import Grid
from layers.grids.selectors import grid_leaf_base_ids
from layers.incidents import demo
from layers.incidents.models import Incident, IncidentEvent
from layers.incidents.selectors import incident_counts_by_grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_incidents(demo_grids):
    demo.load()
    return Incident.objects.filter(ref__startswith=demo.REF_PREFIX)


def test_demo_is_a_plausible_year_and_loads_once(demo_incidents):
    n = demo_incidents.count()
    assert 1500 <= n <= 3000
    events = IncidentEvent.objects.count()
    demo.load()
    assert demo_incidents.count() == n and IncidentEvent.objects.count() == events
    span = demo_incidents.order_by("reported_at").values_list("reported_at", flat=True)
    assert (span.last() - span.first()).days >= 330
    by_class = dict(demo_incidents.values_list("incident_class").annotate(n=Count("id")))
    assert by_class["general"] > by_class["coordination"] > by_class["emergency"] > 0
    assert demo_incidents.filter(status="closed").count() > n * 0.7
    assert demo_incidents.exclude(status__in=["closed", "rejected"]).exists()
    # Every demo case lies in the micro-grid it is filed under.
    assert not demo_incidents.exclude(grid__geometry__covers=F("geometry")).exists()


def test_gi_star_finds_the_planted_hot_and_cold_grids(demo_incidents, make_user):
    grids = list(Grid.objects.filter(pk__in=grid_leaf_base_ids(), level=4).order_by("code"))
    assert len(grids) == 37
    since = timezone.now() - dt.timedelta(days=365)
    counts = incident_counts_by_grid(user=make_user("gi-admin", is_superuser=True), grid_ids=[g.pk for g in grids],
                                     since=since)
    gdf = gpd.GeoDataFrame({"code": [g.code for g in grids],
                            "n": [counts[g.pk]["received"] for g in grids]},
                           geometry=[shapely.from_wkb(bytes(g.geometry.wkb)) for g in grids], crs=4490)
    w = Queen.from_dataframe(gdf, use_index=False)
    # Binary weights, as maps.hotspots uses (esda row-standardises by default and warns for Gi*).
    gi = G_Local(gdf["n"].to_numpy(dtype=float), w, transform="B", star=True, permutations=999, seed=12345)
    hot = gdf.index[gdf.code == demo.HOT_GRID_CODE][0]
    cold = gdf.index[gdf.code == demo.COLD_GRID_CODE][0]
    assert gi.Zs[hot] > 0 and gi.p_sim[hot] < 0.05, (gi.Zs[hot], gi.p_sim[hot])
    assert gi.Zs[cold] < 0 and gi.p_sim[cold] < 0.05, (gi.Zs[cold], gi.p_sim[cold])
    # The spot itself holds the most cases; the quiet area is below every other grid.
    assert int(np.argmax(gdf["n"])) == hot
    print(f"Gi* hot z={gi.Zs[hot]:.2f} p={gi.p_sim[hot]:.3f}; cold z={gi.Zs[cold]:.2f} p={gi.p_sim[cold]:.3f}")
