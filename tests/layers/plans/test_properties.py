"""Property tests: on random tilings, split and merge keep the parent exactly covered."""
import random

import pytest
import shapely
from django.contrib.gis.geos import Point
from django.db import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from layers.addresses.models import Address
from layers.core.errors import RuleViolation
from layers.grids.geometry import geodesic_area_m2, shares_edge
from layers.grids.services import GridSpec, grid_create, grids_create
from layers.plans.services import plan_create, plan_households, plan_merge, plan_split, plan_validate

pytestmark = pytest.mark.django_db
X0, Y0, W, H = 121.30, 31.10, 0.012, 0.008


def random_tiling(seed: int, n: int):
    rnd = random.Random(seed)
    rect = shapely.box(X0, Y0, X0 + W, Y0 + H)
    pts = shapely.MultiPoint([(rnd.uniform(X0, X0 + W), rnd.uniform(Y0, Y0 + H)) for _ in range(n)])
    cells = [c.intersection(rect) for c in shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=rect))]
    root = grid_create(parent=None, level=2, name="随机街道", code="319999001000", geometry=rect.wkt)
    parent = grid_create(parent=root, level=3, name="随机居民区", code="319999001001", geometry=rect.wkt)
    grids_create(parent=parent, level=4, specs=[GridSpec(name=f"格{i}", geometry=c.wkt) for i, c in enumerate(cells)])
    for i in range(80):
        Address.objects.create(full_text=f"随机路{i}号", households=rnd.randint(1, 9),
                               geometry=Point(rnd.uniform(X0, X0 + W), rnd.uniform(Y0, Y0 + H), srid=4490))
    return parent, rect


def check_tiling(plan, rect):
    shapes = [shapely.from_wkb(bytes(g.geometry.wkb)) for g in plan.grids.all()]
    union = shapely.union_all(shapes)
    assert geodesic_area_m2(union) == pytest.approx(geodesic_area_m2(rect), rel=1e-4)
    assert sum(geodesic_area_m2(s) for s in shapes) == pytest.approx(geodesic_area_m2(rect), rel=1e-4)
    assert [p for p in plan_validate(plan=plan) if p["severity"] == "error"] == []
    assert sum(c["addresses"] for c in plan_households(plan=plan).values()) == 80


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 9),
       line=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
       ops=st.lists(st.sampled_from(["split", "merge"]), min_size=1, max_size=4))
def test_split_and_merge_keep_union_equal_to_parent(db, seed, n, line, ops):
    with transaction.atomic():
        parent, rect = random_tiling(seed, n)
        plan = plan_create(parent=parent)
        rnd = random.Random(seed + 1)
        for op in ops:
            grids = list(plan.grids.all())
            if op == "split":
                g = rnd.choice(grids)
                s = shapely.from_wkb(bytes(g.geometry.wkb))
                minx, miny, maxx, maxy = s.bounds
                a = (minx + line[0] * (maxx - minx), miny + line[1] * (maxy - miny))
                b = (minx + line[2] * (maxx - minx), maxy - line[3] * (maxy - miny))
                try:
                    plan_split(plan=plan, grid=g.pk, line={"type": "LineString", "coordinates": [a, b]})
                except RuleViolation as v:
                    assert v.rule in ("split_no_cut", "split_sliver", "line_unreadable")
            elif len(grids) >= 2:
                a, b = rnd.sample(grids, 2)
                sa, sb = (shapely.from_wkb(bytes(x.geometry.wkb)) for x in (a, b))
                try:
                    plan_merge(plan=plan, grids=[a.pk, b.pk])
                    assert shares_edge(sa, sb, 1e-7)
                except RuleViolation as v:
                    assert v.rule == "merge_not_adjacent"
            check_tiling(plan, rect)
        transaction.set_rollback(True)
