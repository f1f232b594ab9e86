"""Parsing at the edge: every query parameter and body value a view reads goes through one of
these, so bad input becomes a 400 naming the parameter and the rule, never a 500 further down.

What they refuse and why (each was a server error once):
- NUL characters: PostgreSQL cannot store or compare them in text;
- digits other than ASCII 0-9: `str.isdigit()` accepts "²" and "١", which `int()` then refuses
  or reads as another number;
- whole numbers outside the database's bigint (ids, offsets beyond 2**63 - 1);
- impossible dates ("2026-02-30"), which pass a format check;
- non-finite numbers (NaN, Infinity) in coordinates, bboxes and tolerances;
- JSON bodies that are not objects, values of the wrong JSON type, nesting deeper than a
  body can reasonably have.
"""
from __future__ import annotations

import datetime as dt
import math
import re

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .errors import RuleViolation

BIGINT_MAX = 2**63 - 1
_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _bad(name: str, message: str) -> RuleViolation:
    return RuleViolation("bad_parameter", message, extra={"parameter": name})


def has_nul(value) -> bool:
    """True when a string anywhere inside `value` (str, list, dict) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def depth(value, limit: int) -> int:
    """Nesting depth of a parsed JSON value, counting no further than `limit` + 1."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def text(value, name: str, *, max_length: int = 1000, required: bool = False) -> str | None:
    """A string parameter: no NUL, at most `max_length` characters; None when empty."""
    if value is None or value == "":
        if required:
            raise _bad(name, _("%(name)s is required") % {"name": name})
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _bad(name, _("%(name)s must be text") % {"name": name})
    if "\x00" in value:
        raise _bad(name, _("%(name)s must not contain NUL characters") % {"name": name})
    if len(value) > max_length:
        raise _bad(name, _("%(name)s is longer than %(n)d characters") % {"name": name, "n": max_length})
    return value


def integer(value, name: str, *, default=None, minimum: int | None = None, maximum: int | None = BIGINT_MAX):
    """A whole number in ASCII digits within [minimum, maximum] (JSON numbers too, not booleans)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(name, _("%(name)s must be a whole number") % {"name": name})
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and _INT.fullmatch(value.strip()):
        n = int(value.strip())
    else:
        raise _bad(name, _("%(name)s must be a whole number") % {"name": name})
    lo = -BIGINT_MAX if minimum is None else minimum
    if n < lo or (maximum is not None and n > maximum):
        raise _bad(name, _("%(name)s must be between %(lo)s and %(hi)s")
                   % {"name": name, "lo": lo, "hi": maximum if maximum is not None else "∞"})
    return n


def id_or_none(value) -> int | None:
    """An id written as ASCII digits within the database's bigint range, else None (for lookups
    that also accept a code: "12" is an id, "CA01" or "²" is not)."""
    s = str(value)
    if s.isascii() and s.isdigit() and len(s) <= 18:
        return int(s)
    return None


def identifier(value, name: str):
    """A database id (1 .. 2**63 - 1), or None when not given."""
    return integer(value, name, minimum=1, maximum=BIGINT_MAX)


def number(value, name: str, *, default=None, minimum: float | None = None, maximum: float | None = None):
    """A finite decimal number (no NaN, no Infinity)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(name, _("%(name)s must be a number") % {"name": name})
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        x = float(value.strip())
    else:
        raise _bad(name, _("%(name)s must be a number") % {"name": name})
    if not math.isfinite(x):
        raise _bad(name, _("%(name)s must be a finite number") % {"name": name})
    if (minimum is not None and x < minimum) or (maximum is not None and x > maximum):
        raise _bad(name, _("%(name)s must be between %(lo)s and %(hi)s") % {"name": name, "lo": minimum, "hi": maximum})
    return x


def date(value, name: str) -> dt.date | None:
    """YYYY-MM-DD that names a real day."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        raise _bad(name, _("%(name)s must be a date (YYYY-MM-DD)") % {"name": name})
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise _bad(name, _("%(name)s is not a day of the calendar: %(v)s") % {"name": name, "v": value[:20]})


def date_or_datetime(value, name: str):
    """A date (YYYY-MM-DD) or an ISO datetime, each naming a real moment."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise _bad(name, _("%(name)s is not a date (YYYY-MM-DD) or a datetime") % {"name": name})
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:  # well formed, but not a real moment (a 30 February, an hour 25)
        raise _bad(name, _("%(name)s is not a moment of the calendar: %(v)s") % {"name": name, "v": value[:40]})
    return parsed or date(value, name)


def boolean(value, name: str):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in ("1", "true", "yes"):
        return True
    if v in ("0", "false", "no"):
        return False
    raise _bad(name, _("%(name)s must be true or false") % {"name": name})


def choice(value, name: str, choices, *, default=None):
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in choices:
        raise _bad(name, _("%(name)s must be one of %(all)s") % {"name": name, "all": ", ".join(map(str, choices))})
    return value


def bbox(value, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """minlon,minlat,maxlon,maxlat: four finite numbers with min < max."""
    if value is None or value == "":
        return None
    parts = value.split(",") if isinstance(value, str) else []
    if len(parts) != 4:
        raise _bad(name, _("bbox must be minlon,minlat,maxlon,maxlat with min < max"))
    x0, y0, x1, y1 = (number(p, name) for p in parts)
    if None in (x0, y0, x1, y1) or x0 >= x1 or y0 >= y1:
        raise _bad(name, _("bbox must be minlon,minlat,maxlon,maxlat with min < max"))
    return x0, y0, x1, y1


def body_object(data, *, name: str = "body") -> dict:
    """The request body as a JSON object (a dict); anything else is a 400."""
    if hasattr(data, "dict") and not isinstance(data, dict):  # a QueryDict from a form
        return data
    if not isinstance(data, dict):
        raise _bad(name, _("The body must be a JSON object"))
    return data


def geometry_limits(geojson, name: str = "geometry") -> None:
    """Refuse a GeoJSON (Multi)Polygon/LineString too large to check cheaply: more rings per
    polygon or vertices per ring than the settings allow, or coordinates that are not finite."""
    max_rings = settings.GEOGRID_MAX_RINGS
    max_vertices = settings.GEOGRID_MAX_VERTICES
    if not isinstance(geojson, dict):
        return
    kind, coords = geojson.get("type"), geojson.get("coordinates")
    polys = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    lines = [coords] if kind == "LineString" else coords if kind == "MultiLineString" else None
    rings = []
    if isinstance(polys, list):
        if len(polys) > max_rings:
            raise _bad(name, _("At most %(n)d polygons in one geometry") % {"n": max_rings})
        for poly in polys:
            if isinstance(poly, list):
                if len(poly) > max_rings:
                    raise _bad(name, _("At most %(n)d rings per polygon") % {"n": max_rings})
                rings.extend(poly)
    elif isinstance(lines, list):
        rings = lines
    for ring in rings:
        if isinstance(ring, list):
            if len(ring) > max_vertices:
                raise _bad(name, _("At most %(n)d vertices per ring or line") % {"n": max_vertices})
            for pt in ring:
                if isinstance(pt, list) and any(isinstance(c, float) and not math.isfinite(c) for c in pt):
                    raise _bad(name, _("Coordinates must be finite numbers"))
