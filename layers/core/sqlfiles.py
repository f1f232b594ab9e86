"""The one loader of the layers' .sql files (raw SQL is the last resort; each file says why).

    sql = sql_loader("grids")        # layers/grids/sql/<name>.sql
    cur.execute(sql("coverage_gaps"), {...})
"""
from functools import cache
from pathlib import Path
from typing import Callable

_LAYERS = Path(__file__).resolve().parent.parent


@cache
def load_sql(app: str, name: str) -> str:
    """The text of layers/<app>/sql/<name>.sql, read once per process."""
    return (_LAYERS / app / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def sql_loader(app: str) -> Callable[[str], str]:
    """`sql(name)` for one app's folder of .sql files."""
    def sql(name: str) -> str:
        return load_sql(app, name)
    sql.__doc__ = f"The text of layers/{app}/sql/<name>.sql."
    return sql
