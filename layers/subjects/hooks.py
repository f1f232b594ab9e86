"""Coverage figures from later layers (patrols): a registered function adds its own figures to
each coverage row, so this layer never imports the layers above it."""
from collections.abc import Callable

_figures: list[Callable] = []


def on_coverage_figures(fn: Callable) -> Callable:
    """Register `fn(*, grid_ids: list[int]) -> {grid_id: {name: value}}`; each row of
    coverage_list gains those names (grids missing from the answer get the function's zero row,
    `fn(grid_ids=[])` called with no ids must return {None: zeros})."""
    if fn not in _figures:
        _figures.append(fn)
    return fn


def coverage_figures(*, grid_ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for fn in _figures:
        got = fn(grid_ids=grid_ids)
        zeros = got.pop(None, {})
        for gid in grid_ids:
            out.setdefault(gid, {}).update(got.get(gid, zeros))
    return out
