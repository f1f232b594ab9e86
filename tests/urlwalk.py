"""Every URL pattern of the project, for the tests that must reach every route (the access
table's walk, the hostile-input corpus)."""
import re

from django.urls import URLPattern, URLResolver, get_resolver


def walk(patterns=None, prefix="", namespace=None):
    """(view name or None, route text, pattern) of every URL pattern, through every include."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else ns
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name, prefix + str(p.pattern), p


def sample(route: str, values: dict) -> str:
    """A concrete URL for a path() route with <conv:name> parts, from `values` by name."""
    def fill(m):
        return str(values.get(m.group(2), values.get("*", 1)))
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def methods(pattern) -> list[str]:
    view = pattern.callback
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if cls is not None:
        return [m.upper() for m in ("get", "post", "patch", "put", "delete") if hasattr(cls, m)]
    return ["GET", "POST"]
