"""Which live grids a published draft keeps, updates in place, retires, and which it creates."""
from collections import defaultdict

from layers.grids.geometry import shp
from layers.grids.models import Grid

from .models import Plan, PlanGrid


def _same_boundary(a, b) -> bool:
    return shp(a).equals(shp(b)) if a is not None and b is not None else False


def publish_partition(plan: Plan, pgs: list[PlanGrid], live: list[Grid]):
    """Split the draft into (plan grids unchanged, live grids to retire, in-place updates
    [(plan grid, live grid)], new plan grids).

    Rule: a plan grid whose source grid is live and claimed by it alone keeps the grid and its
    code: unchanged if the boundary is equal, otherwise updated in place (a new version). A
    split or merged grid has no source: the old grids are retired and new codes issued."""
    live_by_id = {g.pk: g for g in live}
    claims = defaultdict(list)
    for pg in pgs:
        if pg.source_grid_id in live_by_id:
            claims[pg.source_grid_id].append(pg)
    unchanged, updates, new = [], [], []
    kept = set()
    for pg in pgs:
        src = pg.source_grid_id
        if src in live_by_id and len(claims[src]) == 1:
            kept.add(src)
            if _same_boundary(pg.geometry, live_by_id[src].geometry) and pg.kind == live_by_id[src].kind:
                unchanged.append(pg)
            else:
                updates.append((pg, live_by_id[src]))
        else:
            new.append(pg)
    retire = [g for g in live if g.pk not in kept]
    return unchanged, retire, updates, new
