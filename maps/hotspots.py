"""Getis-Ord Gi* hot and cold spots of incidents per micro-grid (esda `G_Local(star=True)`).

Weights: queen contiguity (libpysal) between micro-grids, binary, with each grid in its own
neighbourhood (Gi*, star=True). Binary, not row-standardised: in theory Gi*'s z does not
depend on scaling a row, but esda 2.9's transform="R" z-scores come out about three times
smaller than the textbook Gi* (Ord & Getis 1995), which transform="B" reproduces exactly
(pinned by tests/maps/test_hotspots.py). Building the weights is the slow part (~0.7 s for
10,000 grids), so they are cached per grid set: the key is every (id, version) pair, and a
version bumps on any boundary change, so a new boundary means new weights.

Significance: the analytical z-score `Zs` with a **two-sided normal p-value**,
p = 2 * (1 - Phi(|z|)) = 2 * esda's one-sided `p_norm`. Deterministic (no permutations) and
the convention of ArcGIS's Hot Spot Analysis: |z| > 1.645 / 1.960 / 2.576 is 90 / 95 / 99 %.
Class: hot99/hot95/hot90 when z > 0 and p < 0.01/0.05/0.10; cold* when z < 0; otherwise none.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict

import geopandas as gpd
import numpy as np

THRESHOLDS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))

_cache: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()
_CACHE_SIZE = 8


def grid_set_key(ids, versions) -> str:
    """A cache key for a set of grids at their current boundary versions."""
    pairs = sorted(zip((int(i) for i in ids), (int(v) for v in versions)))
    return hashlib.sha1(repr(pairs).encode()).hexdigest()


def queen_weights(gdf: gpd.GeoDataFrame, *, key: str | None = None):
    """Queen contiguity weights of the frame's polygons, in row order (cached under `key`)."""
    from libpysal.weights import Queen

    if key is not None:
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands are allowed: Gi* keeps the grid itself
        w = Queen.from_dataframe(gdf.reset_index(drop=True), use_index=False, silence_warnings=True)
    if key is not None:
        with _lock:
            _cache[key] = w
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return w


def classify(z: float, p: float) -> str:
    if not (np.isfinite(z) and np.isfinite(p)):
        return "none"
    for threshold, name in THRESHOLDS:
        if p < threshold:
            return ("hot" if z > 0 else "cold") + name
    return "none"


def gi_star(counts: np.ndarray, w) -> tuple[np.ndarray, np.ndarray]:
    """(z, two-sided p) of Gi* for the counts in the weights' order."""
    from esda.getisord import G_Local

    y = np.asarray(counts, dtype=float)
    n = len(y)
    if n < 3 or np.allclose(y, y[0]):
        # No variation (e.g. no incidents at all): nothing can be hot or cold.
        return np.zeros(n), np.ones(n)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        g = G_Local(y, w, transform="B", star=True, permutations=0)
    z = np.asarray(g.Zs, dtype=float)
    p = np.clip(2.0 * np.asarray(g.p_norm, dtype=float), 0.0, 1.0)
    return z, p


def hotspots(gdf: gpd.GeoDataFrame, counts: dict[int, int], *, key: str | None = None) -> list[dict]:
    """Per grid (frame rows with `id`): {"grid_id", "count", "gi_z", "p", "class"}."""
    if gdf.empty:
        return []
    frame = gdf.reset_index(drop=True)
    ids = [int(i) for i in frame["id"]]
    y = np.array([counts.get(i, 0) or 0 for i in ids], dtype=float)
    w = queen_weights(frame, key=key)
    z, p = gi_star(y, w)
    return [{"grid_id": gid, "count": int(c), "gi_z": round(float(zi), 4) if np.isfinite(zi) else None,
             "p": round(float(pi), 4) if np.isfinite(pi) else None, "class": classify(zi, pi)}
            for gid, c, zi, pi in zip(ids, y, z, p)]
