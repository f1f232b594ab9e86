"""The synthetic city of the benchmarks: Voronoi micro-grids and clustered address points,
seeded, cached under bench/.cache/ so a second run reuses them."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

CACHE = Path(__file__).resolve().parent / ".cache"
SIZES = {"small": (200, 20_000), "medium": (2_000, 200_000), "full": (10_000, 1_000_000)}
# A city-sized box around Shanghai (about 29 x 28 km).
BOX = (121.30, 31.10, 121.60, 31.35)


@dataclass
class City:
    name: str
    grids: np.ndarray    # shapely Polygons, irregular (Voronoi cells with ~30 vertices)
    codes: list[str]
    points: np.ndarray   # (n, 2) lon/lat, stored in spatial (Morton) order


def _morton_order(xy: np.ndarray) -> np.ndarray:
    """Order points along a Z-curve so neighbours in space are neighbours on disk."""
    q = ((xy - xy.min(axis=0)) / (np.ptp(xy, axis=0) + 1e-12) * 65535).astype(np.uint64)
    code = np.zeros(len(xy), dtype=np.uint64)
    for bit in range(16):
        code |= ((q[:, 0] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit)
        code |= ((q[:, 1] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + 1)
    return np.argsort(code, kind="stable")


def build(size: str, seed: int = 20261123) -> City:
    n_grids, n_points = SIZES[size]
    path = CACHE / f"city-{size}-{seed}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        grids = shapely.from_wkb(data["grids"])
        return City(name=path.stem, grids=grids, codes=[str(c) for c in data["codes"]], points=data["points"])
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BOX
    seeds = np.column_stack([rng.uniform(x0, x1, n_grids), rng.uniform(y0, y1, n_grids)])
    box = shapely.box(*BOX)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = shapely.intersection(cells, box)
    # Densify the shared edges (keeps the tiling exact) so a cell has ~30 vertices like a real grid.
    step = (x1 - x0) / np.sqrt(n_grids) / 8
    cells = shapely.set_precision(shapely.segmentize(cells, step), 0)
    cells = cells[~shapely.is_empty(cells)]
    order = np.lexsort((shapely.get_x(shapely.centroid(cells)), -shapely.get_y(shapely.centroid(cells))))
    cells = cells[order]
    codes = [f"310999000000{i + 1:05d}" for i in range(len(cells))]
    # Clustered points: 80% around 300 centres (dense neighbourhoods), 20% spread evenly,
    # plus a few hundred exactly on cell vertices, where the edge rule decides.
    n_on_edge = min(500, n_points // 100)
    n_cluster = int((n_points - n_on_edge) * 0.8)
    centres = np.column_stack([rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300)])
    which = rng.integers(0, len(centres), n_cluster)
    spread = rng.uniform(0.002, 0.015, len(centres))[which]
    clustered = centres[which] + rng.normal(size=(n_cluster, 2)) * spread[:, None]
    uniform = np.column_stack([rng.uniform(x0, x1, n_points - n_on_edge - n_cluster),
                               rng.uniform(y0, y1, n_points - n_on_edge - n_cluster)])
    vertices = shapely.get_coordinates(cells)
    on_edge = vertices[rng.integers(0, len(vertices), n_on_edge)]
    points = np.vstack([clustered, uniform, on_edge])
    points = points[_morton_order(points)]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, grids=np.array(shapely.to_wkb(cells, hex=True).tolist()), codes=np.array(codes), points=points)
    return City(name=path.stem, grids=cells, codes=codes, points=points)
