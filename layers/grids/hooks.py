"""Boundary-change hooks: other layers (addresses, incidents, subjects) register a function
here to re-place what lies in the area that changed. They run inside the transaction that
changed the boundaries, so a failed re-placement rolls the change back."""
from collections.abc import Callable

_hooks: list[Callable] = []


def on_boundaries_changed(fn: Callable) -> Callable:
    """Register `fn(*, grid_ids: list[int], area: GEOSGeometry | None)`; use as a decorator
    in an AppConfig.ready(). `area` is the union of old and new boundaries (None = unknown)."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def boundaries_changed(*, grid_ids: list[int], area=None) -> None:
    for fn in list(_hooks):
        fn(grid_ids=grid_ids, area=area)
