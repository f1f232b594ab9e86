"""Load the app's .sql files once (raw SQL is the last resort; see each file for why)."""
from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    return (_DIR / f"{name}.sql").read_text(encoding="utf-8")
