from functools import cache
from pathlib import Path


@cache
def sql(name: str) -> str:
    """The text of layers/subjects/sql/<name>.sql."""
    return (Path(__file__).parent / "sql" / f"{name}.sql").read_text(encoding="utf-8")
