"""Balanced partition of a region by recursive spanning-tree bisection of its blocks.

Blocks: the Voronoi cells of the region's distinct address points, clipped to the region (a
cell the region's shape cuts in two is two blocks, one holding the point). Each block carries
the households of its point. Two blocks are neighbours when they share an edge of at least
MIN_SHARED_M metres, so a connected set of blocks is one polygon.

Bisection (the method of GerryChain's `recursive_tree_part`, Markov-chain free): draw a random
spanning tree of the block graph, and cut the one tree edge that leaves both sides able to
hold their share of the k children within the household band. Unlike cutting one district at
a time, each cut halves the number of children still to be made, and among the balanced cuts
of several trees the one with the shortest boundary is kept (compact children). Each side of a
tree cut is connected, so every child is contiguous.

Where `line_of` marks blocks by the face of the guide lines (roads, walls) they lie in, tree
edges across a line are drawn last (the tree crosses each line as few times as it can) and a
cut along a line costs a tenth of one through a block, so children follow the lines where the
households allow."""
import math

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

# Blocks sharing less than this (m) of edge are not neighbours (a corner is not a border).
MIN_SHARED_M = 0.5
# Random spanning trees drawn per bisection; the most compact balanced cut among them is kept.
TREES = 12
# Cost of a metre of cut along a guide line relative to a metre through blocks.
LINE_DISCOUNT = 0.1


def _m_per_deg(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), 110_574.0


def blocks_of(region, points: list, faces: list | None = None) -> tuple[list, np.ndarray, list, np.ndarray]:
    """(block shapes, households per block, address points per block, face per block).

    `points` are (x, y, households); `faces` polygons tiling the region (the guide lines'
    faces) or None."""
    faces = faces or [region]
    shapes, hh, pts, face_of = [], [], [], []
    for fi, face in enumerate(faces):
        inside = [p for p in points if face.covers(shapely.Point(p[0], p[1]))] if len(faces) > 1 else list(points)
        if len(faces) > 1:  # a point on a line between two faces goes to the first
            points = [p for p in points if p not in inside]
        groups: dict[tuple, list] = {}
        for p in inside:
            groups.setdefault((round(p[0], 7), round(p[1], 7)), []).append(p)
        keys = list(groups)
        if len(keys) < 2:
            shapes.append(face)
            hh.append(sum(p[2] for g in groups.values() for p in g))
            pts.append([p for g in groups.values() for p in g])
            face_of.append(fi)
            continue
        seeds = shapely.multipoints([k for k in keys])
        cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=face, ordered=True))
        clipped = shapely.intersection(cells, face)
        for key, cell in zip(keys, clipped):
            seed = shapely.Point(key)
            parts = [g for g in shapely.get_parts(cell) if g.geom_type == "Polygon" and not g.is_empty]
            if not parts:
                continue
            home = min(range(len(parts)), key=lambda i: parts[i].distance(seed))
            for i, part in enumerate(parts):
                shapes.append(part)
                mine = groups[key] if i == home else []
                hh.append(sum(p[2] for p in mine))
                pts.append(list(mine))
                face_of.append(fi)
    return shapes, np.asarray(hh, dtype=float), pts, np.asarray(face_of)


def adjacency(shapes: list, lat: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, shared metres) for every pair of neighbouring blocks, a < b."""
    if len(shapes) < 2:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    mx, my = _m_per_deg(lat)
    eps = 0.01 / mx
    arr = np.asarray(shapes, dtype=object)
    tree = shapely.STRtree(arr)
    a, b = tree.query(arr, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    shared = shapely.intersection(shapely.boundary(arr[a]), shapely.buffer(arr[b], eps))
    metres = shapely.length(shared) * (mx + my) / 2
    ok = metres >= MIN_SHARED_M
    return a[ok], b[ok], metres[ok]


class TreePartition:
    """Recursive balanced bisection of one block graph into k parts within [lo, hi]."""

    def __init__(self, hh, a, b, length, *, face_of=None, centres=None, seed: int = 0):
        self.hh = np.asarray(hh, dtype=float)
        self.n = len(self.hh)
        self.a, self.b, self.length = a, b, length
        self.crosses = (face_of[a] != face_of[b]) if face_of is not None and len(a) else np.zeros(len(a), bool)
        self.cost = np.where(self.crosses, length * LINE_DISCOUNT, length)
        self.rng = np.random.default_rng(seed)
        self.centres = centres
        self.fallbacks = 0

    def run(self, k: int, lo: float, hi: float) -> list[np.ndarray]:
        self.lo, self.hi = lo, hi
        # A block above the band counts as the band's minimum: its child (out of band whatever
        # else it holds) is one of the k, and the others are balanced as if it were not there.
        self.hh = np.where(self.hh > hi, lo, self.hh)
        out: list[np.ndarray] = []
        self._split(np.arange(self.n), k, out)
        return out

    # --- one bisection ---------------------------------------------------------------------
    def _local_edges(self, nodes: np.ndarray):
        inside = np.zeros(self.n, bool)
        inside[nodes] = True
        keep = inside[self.a] & inside[self.b]
        index = -np.ones(self.n, int)
        index[nodes] = np.arange(len(nodes))
        return index[self.a[keep]], index[self.b[keep]], self.cost[keep], self.crosses[keep]

    def _windows(self, k: int, strict: bool) -> tuple[float, float]:
        """Households a side with k children may hold: its mean per child within the band, with
        room kept for later cuts when more than one child remains."""
        if k == 1 or not strict:
            return k * self.lo, k * self.hi
        margin = (self.hi - self.lo) * 0.25
        return k * (self.lo + margin), k * (self.hi - margin)

    def _split(self, nodes: np.ndarray, k: int, out: list) -> None:
        if k <= 1 or len(nodes) <= 1:
            out.append(nodes)
            return
        k1, k2 = k // 2, k - k // 2
        la, lb, cost, crosses = self._local_edges(nodes)
        m = len(nodes)
        hh = self.hh[nodes]
        total = hh.sum()
        # Components the lines or the region's shape leave apart are joined by their nearest
        # blocks, so every tree spans the nodes (a child across them is reported as parts).
        la, lb, cost, crosses = self._joined(nodes, la, lb, cost, crosses)
        best = None
        for strict in (True, False):
            for _t in range(TREES):
                w = self.rng.random(len(la)) + 1e-9 + np.where(crosses, 2.0, 0.0)
                tree = minimum_spanning_tree(coo_matrix((w, (la, lb)), shape=(m, m))).tocoo()
                order, parent = _preorder(m, tree.row, tree.col)
                sub = hh.copy()
                size = np.ones(m, int)
                for v in order[:0:-1]:
                    sub[parent[v]] += sub[v]
                    size[parent[v]] += size[v]
                pos = np.empty(m, int)
                pos[order] = np.arange(m)
                for ka, kb in ((k1, k2), (k2, k1)) if k1 != k2 else ((k1, k2),):
                    a_lo, a_hi = self._windows(ka, strict)
                    b_lo, b_hi = self._windows(kb, strict)
                    s = sub[order[1:]]
                    ok = (s >= a_lo) & (s <= a_hi) & (total - s >= b_lo) & (total - s <= b_hi)
                    for v in order[1:][ok]:
                        member = np.zeros(m, bool)
                        member[order[pos[v]:pos[v] + size[v]]] = True
                        cut = cost[member[la] != member[lb]].sum()
                        dev = abs(sub[v] / ka - total / k) / max(self.hi - self.lo, 1)
                        score = cut * (1 + dev)
                        if best is None or score < best[0]:
                            best = (score, member.copy(), ka, kb)
            if best is not None:
                break
        if best is None:  # no tree edge balances: the most balanced cut of one tree
            self.fallbacks += 1
            w = self.rng.random(len(la)) + 1e-9
            tree = minimum_spanning_tree(coo_matrix((w, (la, lb)), shape=(m, m))).tocoo()
            order, parent = _preorder(m, tree.row, tree.col)
            sub = hh.copy()
            size = np.ones(m, int)
            for v in order[:0:-1]:
                sub[parent[v]] += sub[v]
                size[parent[v]] += size[v]
            pos = np.empty(m, int)
            pos[order] = np.arange(m)
            v = min(order[1:], key=lambda v: abs(sub[v] - total * k1 / k))
            member = np.zeros(m, bool)
            member[order[pos[v]:pos[v] + size[v]]] = True
            best = (0.0, member, k1, k2)
        _score, member, ka, kb = best
        self._split(nodes[member], ka, out)
        self._split(nodes[~member], kb, out)

    def _joined(self, nodes, la, lb, cost, crosses):
        m = len(nodes)
        if m < 2:
            return la, lb, cost, crosses
        ncomp, label = connected_components(coo_matrix((np.ones(len(la)), (la, lb)), shape=(m, m)), directed=False)
        if ncomp <= 1 or self.centres is None:
            return la, lb, cost, crosses
        c = self.centres[nodes]
        extra_a, extra_b = [], []
        for comp in range(1, ncomp):
            mine, rest = np.where(label == comp)[0], np.where(label != comp)[0]
            d = ((c[mine][:, None, :] - c[rest][None, :, :]) ** 2).sum(axis=2)
            i, j = np.unravel_index(np.argmin(d), d.shape)
            extra_a.append(mine[i])
            extra_b.append(rest[j])
        la = np.concatenate([la, extra_a])
        lb = np.concatenate([lb, extra_b])
        cost = np.concatenate([cost, np.full(len(extra_a), cost.max() * 10 if len(cost) else 1.0)])
        crosses = np.concatenate([crosses, np.ones(len(extra_a), bool)])
        return la, lb, cost, crosses


def _preorder(m: int, rows, cols) -> tuple[np.ndarray, np.ndarray]:
    """Depth-first preorder of a spanning tree from node 0 and each node's parent: the
    descendants of a node follow it contiguously."""
    nbrs: list[list[int]] = [[] for _ in range(m)]
    for r, c in zip(rows.tolist(), cols.tolist()):
        nbrs[r].append(c)
        nbrs[c].append(r)
    parent = -np.ones(m, int)
    order = []
    seen = np.zeros(m, bool)
    stack = [0]
    seen[0] = True
    while stack:
        v = stack.pop()
        order.append(v)
        for u in nbrs[v]:
            if not seen[u]:
                seen[u] = True
                parent[u] = v
                stack.append(u)
    return np.asarray(order), parent


def tree_partition(region, points: list, k: int, lo: float, hi: float, *, faces: list | None = None,
                   seed: int = 0) -> list[tuple]:
    """[(region, points)] of k contiguous children of `region` balanced in households."""
    if k <= 1 or len(points) < 2:
        return [(region, list(points))]
    shapes, hh, pts, face_of = blocks_of(region, points, faces)
    lat = region.centroid.y
    a, b, length = adjacency(shapes, lat)
    centres = np.asarray([(s.centroid.x, s.centroid.y) for s in shapes])
    part = TreePartition(hh, a, b, length, face_of=face_of if faces else None, centres=centres, seed=seed)
    groups = part.run(k, lo, hi)
    out = []
    for nodes in groups:
        out.append((shapely.union_all([shapes[i] for i in nodes]), [p for i in nodes for p in pts[i]]))
    return out
