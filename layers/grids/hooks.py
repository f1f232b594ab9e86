"""Boundary-change hooks: later layers (addresses, subjects, incidents) register a function here
to re-place what lies in the area that changed. They run inside the transaction that changed
the boundaries, so a failed re-placement rolls the change back.

The order is explicit, not the order apps happen to load in: addresses are re-placed first,
subjects then follow their address, and open incidents are re-routed by their own point."""
from collections.abc import Callable

STAGES = ("addresses", "subjects", "incidents")

_hooks: dict[str, list[Callable]] = {stage: [] for stage in STAGES}


def on_boundaries_changed(fn: Callable, *, stage: str) -> Callable:
    """Register `fn(*, grid_ids: list[int], area: GEOSGeometry | None)` to run at `stage` (one of
    STAGES); call it from the layer's AppConfig.ready(). `area` is the union of old and new
    boundaries (None = unknown)."""
    if stage not in _hooks:
        raise ValueError(f"unknown boundary-change stage {stage!r}; one of {STAGES}")
    if fn not in _hooks[stage]:
        _hooks[stage].append(fn)
    return fn


def forget(fn: Callable) -> None:
    """Unregister `fn` from every stage (tests that listen for a while)."""
    for fns in _hooks.values():
        if fn in fns:
            fns.remove(fn)


def registered() -> list[Callable]:
    """The hooks in the order they run."""
    return [fn for stage in STAGES for fn in _hooks[stage]]


def boundaries_changed(*, grid_ids: list[int], area=None) -> None:
    for fn in registered():
        fn(grid_ids=grid_ids, area=area)
