"""Reads of the address registry (points are located by layers.grids.locate).

Addresses are not personal data (a standard address, not who lives there); any logged-in
user may read them and locate points."""
import json

from django.db import connection
from django.db.models import QuerySet

from .models import Address
from .normalise import normalise_address
from .sqlfiles import sql

MAX_BATCH = 10_000


def address_list(*, grid_id: int | None = None, gaps: bool = False, near_boundary: bool | None = None) -> QuerySet[Address]:
    """Addresses, optionally of one micro-grid, only coverage gaps, or only near-boundary ones."""
    qs = Address.objects.select_related("grid")
    if grid_id is not None:
        qs = qs.filter(grid_id=grid_id)
    if gaps:
        qs = qs.filter(grid__isnull=True)
    if near_boundary is not None:
        qs = qs.filter(near_boundary=near_boundary)
    return qs.order_by("pk")


def address_list_gaps() -> QuerySet[Address]:
    """Addresses whose point lies in no micro-grid (coverage gaps)."""
    return address_list(gaps=True)


def address_search(*, text: str, limit: int = 10, min_score: float = 0.3) -> list[dict]:
    """Registry addresses best matching free text (pg_trgm similarity on the normalised key),
    each with its score and micro-grid chain."""
    key = normalise_address(text)
    if not key:
        return []
    with connection.cursor() as cur:
        cur.execute(sql("search"), {"key": key, "limit": limit, "min_score": min_score})
        return [json.loads(row[0]) for row in cur.fetchall()]
