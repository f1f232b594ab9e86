"""Gi* on Dask (maps/hotspots_dask.py) gives esda's figures (maps/hotspots.py) grid by grid, on
an irregular tiling (Voronoi cells with shared vertices, some meeting only at a corner) and on
the demo street's micro-grids. A real LocalCluster of two thread workers."""
import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers.core.cluster import dask_client
from maps import hotspots
from maps.hotspots_dask import gi_star_dask, vertex_pairs


@pytest.fixture(scope="module")
def client():
    with dask_client(scheduler="", workers=2, processes=False) as c:
        yield c


def _voronoi(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    box = shapely.box(0, 0, 1, 1)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 1, (n, 2))), extend_to=box))
    return shapely.set_precision(shapely.intersection(cells, box), 1e-9)


def _esda(geoms, counts):
    frame = gpd.GeoDataFrame({"id": range(len(geoms))}, geometry=list(geoms))
    return hotspots.gi_star(counts, hotspots.queen_weights(frame))


def test_gi_star_on_dask_equals_esda_on_an_irregular_tiling(client):
    geoms = _voronoi(400, 3)
    rng = np.random.default_rng(4)
    counts = rng.poisson(2, len(geoms)).astype(float)
    counts[:20] += 15   # a cluster of high counts somewhere
    z, p = gi_star_dask(geoms, counts, client=client)
    z_ref, p_ref = _esda(geoms, counts)
    assert np.allclose(z, z_ref, atol=1e-9) and np.allclose(p, p_ref, atol=1e-9)
    assert (np.abs(z) > 1.96).any()


def test_gi_star_on_dask_equals_esda_on_the_demo_micro_grids(client, demo_grids):
    micro = [g for g in demo_grids.values() if g.kind == "base" and g.level == 4]
    geoms = np.array([shapely.from_wkb(bytes(g.geometry.wkb)) for g in micro], dtype=object)
    counts = np.arange(len(geoms), dtype=float) % 7
    z, p = gi_star_dask(geoms, counts, client=client)
    z_ref, p_ref = _esda(geoms, counts)
    assert np.allclose(z, z_ref, atol=1e-9) and np.allclose(p, p_ref, atol=1e-9)


def test_corner_neighbours_count_and_no_variation_means_no_spots(client):
    # Four unit squares meeting at one corner: every pair is a queen neighbour.
    squares = np.array([shapely.box(x, y, x + 1, y + 1) for x in (0, 1) for y in (0, 1)], dtype=object)
    xy, owner = shapely.get_coordinates(squares, return_index=True)
    assert len(vertex_pairs(xy, owner)) == 6
    z, p = gi_star_dask(squares, [3, 3, 3, 3], client=client)
    assert (z == 0).all() and (p == 1).all()
