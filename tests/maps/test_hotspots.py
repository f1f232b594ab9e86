"""Gi* classification: a planted cluster is hot, a planted quiet area is cold."""
import geopandas as gpd
import numpy as np
from shapely.geometry import box

from maps import hotspots


def lattice(n=10):
    rows = [{"id": i * n + j + 1, "version": 1, "geometry": box(j, i, j + 1, i + 1)}
            for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame(rows, geometry="geometry")


def planted_counts(n=10):
    rng = np.random.default_rng(42)
    counts = {gid: int(rng.poisson(10)) for gid in range(1, n * n + 1)}
    for i in range(6, 9):       # a 3x3 hot cluster
        for j in range(6, 9):
            counts[i * n + j + 1] = 22
    for i in range(1, 4):       # a 3x3 quiet area
        for j in range(1, 4):
            counts[i * n + j + 1] = 0
    return counts


def test_planted_cluster_is_hot99_and_quiet_area_cold95_or_stronger():
    gdf = lattice()
    rows = {r["grid_id"]: r for r in hotspots.hotspots(gdf, planted_counts())}
    centre_hot, centre_cold = 7 * 10 + 7 + 1, 2 * 10 + 2 + 1
    assert rows[centre_hot]["class"] == "hot99"
    assert rows[centre_hot]["gi_z"] > 2.576 and rows[centre_hot]["p"] < 0.01
    assert rows[centre_cold]["class"] in ("cold95", "cold99")
    assert rows[centre_cold]["gi_z"] < -1.96
    assert set(rows[centre_hot]) == {"grid_id", "count", "gi_z", "p", "class"}
    # Most of the plain background is not significant.
    assert sum(r["class"] == "none" for r in rows.values()) > 50


def test_p_is_two_sided_normal_and_classes_follow_thresholds():
    assert hotspots.classify(2.7, 0.007) == "hot99"
    assert hotspots.classify(2.0, 0.045) == "hot95"
    assert hotspots.classify(1.7, 0.089) == "hot90"
    assert hotspots.classify(1.5, 0.13) == "none"
    assert hotspots.classify(-2.0, 0.045) == "cold95"
    assert hotspots.classify(float("nan"), float("nan")) == "none"
    z, p = hotspots.gi_star(np.array([float(c) for c in planted_counts().values()]),
                            hotspots.queen_weights(lattice()))
    from scipy.stats import norm
    assert np.allclose(p, 2 * norm.sf(np.abs(z)))


def test_no_incidents_means_no_spots():
    rows = hotspots.hotspots(lattice(4), {})
    assert {r["class"] for r in rows} == {"none"} and {r["count"] for r in rows} == {0}


def test_weights_are_cached_per_grid_set_version():
    gdf = lattice(5)
    key = hotspots.grid_set_key(gdf["id"], gdf["version"])
    w1 = hotspots.queen_weights(gdf, key=key)
    assert hotspots.queen_weights(gdf, key=key) is w1
    bumped = hotspots.grid_set_key(gdf["id"], [2] + [1] * (len(gdf) - 1))
    assert bumped != key
    assert w1.neighbors[0] == [1, 5, 6] or sorted(w1.neighbors[0]) == [1, 5, 6]  # queen: corner touches too


def test_z_matches_textbook_binary_gi_star():
    gdf = lattice()
    c = planted_counts()
    y = np.array([c[i] for i in gdf["id"]], dtype=float)
    w = hotspots.queen_weights(gdf)
    z, _p = hotspots.gi_star(y, w)
    n = len(y)
    W = np.eye(n)
    for i, nb in w.neighbors.items():
        W[i, nb] = 1
    s = np.sqrt((y ** 2).mean() - y.mean() ** 2)
    sw = W.sum(1)
    textbook = (W @ y - y.mean() * sw) / (s * np.sqrt((n * (W ** 2).sum(1) - sw ** 2) / (n - 1)))
    assert np.allclose(z, textbook, atol=1e-6)
