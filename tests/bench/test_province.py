"""The synthetic province of the growth curves (bench/province.py): five levels whose parents
tile their children exactly, codes that extend their parent's, addresses inside the province,
and the same province again from the same seed."""
import numpy as np
import shapely

from bench.province import build


def test_province_has_five_levels_tiled_by_their_children_and_coded_from_their_parents():
    p = build("xs")
    assert sorted(set(p.levels.tolist())) == [1, 2, 3, 4, 5]
    assert p.n_micro > 900 and len(p.points) == 100_000
    assert len(set(p.codes.tolist())) == len(p.codes)
    for i in np.flatnonzero(p.parents >= 0):
        # 12-digit division codes down to the areas (district 6, street 9 digits significant),
        # then the parent's whole code and three digits more.
        keep = {2: 6, 3: 9}.get(int(p.levels[i]))
        parent_code = str(p.codes[p.parents[i]])
        assert str(p.codes[i]).startswith(parent_code[:keep] if keep else parent_code)
        assert len(p.codes[i]) == (12 if keep else len(parent_code) + 3)
        assert p.levels[i] == p.levels[p.parents[i]] + 1
    # Every parent is exactly the union of its children (shared edges, no gaps or overlaps).
    for parent in np.flatnonzero(p.levels <= 3)[:40]:
        kids = p.geoms[p.parents == parent]
        assert abs(shapely.union_all(kids).area - p.geoms[parent].area) <= 1e-9 * max(1.0, p.geoms[parent].area) + 1e-12
        assert abs(sum(k.area for k in kids) - p.geoms[parent].area) <= 1e-6 * p.geoms[parent].area
    top = shapely.union_all(p.geoms[p.levels == 1])
    inside = shapely.covers(top, shapely.points(p.points))
    assert inside.all()
    # Towns: addresses cluster (a tenth of the leaf grids hold far more than a tenth of them).
    per_leaf = np.bincount(p.point_cell[p.point_cell >= 0], minlength=len(p.levels))[p.leaves]
    assert np.sort(per_leaf)[::-1][: len(per_leaf) // 10].sum() > 0.25 * per_leaf.sum()
    again = build("xs")
    assert again.codes.tolist() == p.codes.tolist() and np.array_equal(again.points, p.points)
