"""Getis-Ord Gi* of counts per grid on a Dask cluster: the same figures as maps/hotspots.py
(esda `G_Local(star=True)`, binary queen weights, analytical z, two-sided normal p), with the
costly part, finding the queen neighbours of every grid, spread over the workers.

Queen contiguity is "shares at least one vertex" (libpysal's Queen). So the neighbours come from
the grids' vertices alone: every vertex with the index of its grid, cut into blocks by x (equal
coordinates have equal x, so a shared vertex never straddles two blocks), one task per block
finds the grids meeting at each coordinate. The driver joins the pairs and computes Gi* in
closed form (Ord & Getis 1995): with binary weights and each grid in its own neighbourhood,
W_i = 1 + degree_i, z_i = (sum_{j in N*(i)} x_j - mean * W_i) / (s * sqrt((n W_i - W_i^2) / (n - 1))),
s^2 = sum x^2 / n - mean^2.
"""
import numpy as np
import pandas as pd
import shapely
from scipy.stats import norm

from layers.core.cluster import dask_client


def vertex_pairs(xy: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """(k, 2) distinct pairs (a, b), a < b, of owners that share a vertex coordinate."""
    if len(xy) == 0:
        return np.empty((0, 2), dtype=np.int64)
    frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "o": owner}).drop_duplicates()
    shared = frame[frame.duplicated(["x", "y"], keep=False)]
    if shared.empty:
        return np.empty((0, 2), dtype=np.int64)
    pairs = shared.merge(shared, on=["x", "y"])
    pairs = pairs[pairs["o_x"] < pairs["o_y"]][["o_x", "o_y"]].drop_duplicates()
    return pairs.to_numpy(dtype=np.int64)


def queen_pairs(geoms, *, client, blocks: int | None = None) -> np.ndarray:
    """The queen neighbour pairs of these polygons (row indices), found on the cluster."""
    coords, owner = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    n_blocks = blocks or max(1, 2 * len(client.scheduler_info().get("workers", {})))
    cuts = np.quantile(coords[:, 0], np.linspace(0, 1, n_blocks + 1)[1:-1]) if len(coords) else []
    block = np.searchsorted(cuts, coords[:, 0], side="right")
    futures = [client.submit(vertex_pairs, coords[block == k], owner[block == k], pure=False)
               for k in range(n_blocks)]
    parts = [p for p in client.gather(futures) if len(p)]
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.vstack(parts), axis=0)


def gi_star_from_pairs(counts: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, two-sided p) of Gi* (binary weights, star) for counts in row order."""
    y = np.asarray(counts, dtype=float)
    n = len(y)
    if n < 3 or np.allclose(y, y[0]):
        return np.zeros(n), np.ones(n)
    lag = y.copy()
    np.add.at(lag, pairs[:, 0], y[pairs[:, 1]])
    np.add.at(lag, pairs[:, 1], y[pairs[:, 0]])
    w = 1.0 + np.bincount(pairs.ravel(), minlength=n)
    mean = y.mean()
    s = np.sqrt((y * y).mean() - mean * mean)
    with np.errstate(all="ignore"):
        z = (lag - mean * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
    p = np.clip(2.0 * norm.sf(np.abs(z)), 0.0, 1.0)
    return z, p


def gi_star_dask(geoms, counts, *, client=None, scheduler: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gi* (z, two-sided p) of `counts` over the polygons `geoms` (same order), the neighbours
    found on a Dask cluster (`client`, or one from `dask_client(scheduler=...)`)."""
    if client is None:
        with dask_client(scheduler=scheduler) as own:
            return gi_star_dask(geoms, counts, client=own)
    return gi_star_from_pairs(np.asarray(counts, dtype=float), queen_pairs(geoms, client=client))
