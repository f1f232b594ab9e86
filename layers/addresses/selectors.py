"""Reads of the address registry (points are located by layers.grids.locate).

Addresses are not personal data (a standard address, not who lives there); any logged-in
user may read them and locate points."""
import json

from django.db import connection

from layers.core.sqlfiles import sql_loader

from .normalise import normalise_address

sql = sql_loader("addresses")

MAX_BATCH = 10_000


def address_search(*, text: str, limit: int = 10, min_score: float = 0.3) -> list[dict]:
    """Registry addresses best matching free text (pg_trgm similarity on the normalised key),
    each with its score and micro-grid chain."""
    key = normalise_address(text)
    if not key:
        return []
    with connection.cursor() as cur:
        cur.execute(sql("search"), {"key": key, "limit": limit, "min_score": min_score})
        return [json.loads(row[0]) for row in cur.fetchall()]
