"""Intake links: later layers (patrols) register a handler for an extra intake field, e.g.
`patrol=<id>`, that ties the new incident to something of theirs. Handlers run inside the
intake transaction, so a refused link refuses the report and stores nothing."""
from collections.abc import Callable

_links: dict[str, Callable] = {}


def on_intake_link(name: str) -> Callable:
    """Register `fn(*, incident, user, value)` for the intake field `name`."""
    def register(fn: Callable) -> Callable:
        _links[name] = fn
        return fn
    return register


def intake_link_names() -> tuple[str, ...]:
    return tuple(sorted(_links))


def intake_links_apply(*, incident, user, links: dict | None) -> None:
    for name, value in (links or {}).items():
        if value in (None, "") or name not in _links:
            continue
        _links[name](incident=incident, user=user, value=value)
