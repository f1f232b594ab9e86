"""Large tables partitioned by district (the first six digits of a grid code, GB/T 2260).

A partitioned table is `PARTITION BY LIST (district_code)` with a DEFAULT partition that takes any
district without its own partition, so a write never fails for want of one. `partition_ensure`
gives a district its own local partition (moving its rows out of the default one);
`partition_attach_foreign` makes a district's partition a `postgres_fdw` foreign table on another
PostgreSQL cluster, which the app then reads and writes unchanged.

The parent carries no unique index and no foreign key: PostgreSQL refuses a foreign partition
under a partitioned table that has either (the key to the parent row is kept by the services;
Django's CASCADE is its own). Uniqueness lives on each partition instead (a local partition gets the
table's PARTITIONED unique indexes here; a remote table carries its own), which holds the same
rule because the unique columns determine the district (a patrol's points all lie in its grid's
district) or are unique by construction (ids from the parent's one sequence; a case number is made
from the id). Queries filter by `district_code` so the planner prunes to one partition.

In SQL the district of a grid code is `geogrid_district_code(code)` (an immutable function made by
migration subjects/0002), the same rule as `district_code_of`.
"""
import re

from django.db import connection, transaction

DEFAULT_DISTRICT = "000000"
# table -> the column lists of its indexes that are unique within a partition (the first is the
# row's key: index "<partition>_once"; the others "<partition>_<columns>_once")
PARTITIONED = {
    "patrols_patrolpoint": (("patrol_id", "at"),),
    "subjects_visit": (("id",),),
    "incidents_incidentevent": (("id",),),
    "subjects_subject": (("id",),),
    "incidents_incident": (("id",), ("ref",)),
    "addresses_address": (("id",),),
}
# `geogrid_district_code(code)`: district_code_of in SQL (made by the migrations that partition a
# table by district; CREATE OR REPLACE, so each may run it).
DISTRICT_FUNCTION = """
CREATE OR REPLACE FUNCTION geogrid_district_code(code text) RETURNS varchar(6)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN left(coalesce(code, ''), 6) ~ '^[0-9]{6}$' THEN left(code, 6) ELSE '000000' END
$$"""
# A table whose rows may never change (the incident log) lets its append-only trigger pass the
# DELETE of a row partition_ensure moves, unchanged, out of the default partition, while this
# transaction-local setting is on.
MOVING = "geogrid.partition_move"
_CODE = re.compile(r"^\d{6}$")


def district_code_of(grid_code: str | None) -> str:
    """The district of a grid code: its first six digits, or DEFAULT_DISTRICT when the code does
    not start with six digits (a hand-made code)."""
    head = (grid_code or "")[:6]
    return head if _CODE.match(head) else DEFAULT_DISTRICT


def _check(table: str, district: str) -> None:
    if table not in PARTITIONED:
        raise ValueError(f"{table} is not a partitioned table of geogrid")
    if not _CODE.match(district or ""):
        raise ValueError(f"not a district code: {district!r}")


def partition_name(table: str, district: str) -> str:
    return f"{table}_{district}"


def partitions_of(table: str) -> dict[str, str]:
    """Partition name -> 'local' | 'foreign' | 'default' of one partitioned table."""
    with connection.cursor() as cur:
        cur.execute("""SELECT c.relname, c.relkind, pg_get_expr(c.relpartbound, c.oid)
                       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                       WHERE i.inhparent = %s::regclass ORDER BY c.relname""", [table])
        return {name: "default" if bound == "DEFAULT" else ("foreign" if kind == "f" else "local")
                for name, kind, bound in cur.fetchall()}


def _unique_index_sql(table: str, part: str) -> list[str]:
    """The unique indexes of one partition (PARTITIONED)."""
    out = []
    for n, columns in enumerate(PARTITIONED[table]):
        cols = ", ".join(f'"{c}"' for c in columns)
        name = f"{part}_once" if n == 0 else f"{part}_{'_'.join(columns)}_once"
        out.append(f'CREATE UNIQUE INDEX IF NOT EXISTS "{name}" ON "{part}" ({cols})')
    return out


@transaction.atomic
def partition_ensure(table: str, district: str) -> bool:
    """Give `district` its own local partition of `table`; its rows move out of the default
    partition in the same transaction (nothing is lost or seen twice). False if it had one."""
    _check(table, district)
    part = partition_name(table, district)
    if part in partitions_of(table):
        return False
    with connection.cursor() as cur:
        # Writers wait for the few statements below; readers of other districts are not blocked
        # for long (the default partition is scanned once).
        cur.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
        cur.execute(f'CREATE TABLE "{part}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        cur.execute(f"SET LOCAL {MOVING} = 'on'")
        cur.execute(f'WITH moved AS (DELETE FROM "{table}_default" WHERE district_code = %s RETURNING *) '
                    f'INSERT INTO "{part}" SELECT * FROM moved', [district])
        cur.execute(f"SET LOCAL {MOVING} = 'off'")
        cur.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{part}" FOR VALUES IN (%s)', [district])
        for statement in _unique_index_sql(table, part):
            cur.execute(statement)
        # The rows moved: statistics for the new partition and the parent (see convert_sql).
        cur.execute(f'ANALYZE "{part}"')
        cur.execute(f'ANALYZE "{table}"')
    return True


@transaction.atomic
def partition_attach_foreign(table: str, district: str, *, server: str, remote_table: str | None = None) -> None:
    """Make `district`'s partition of `table` the foreign table `remote_table` (default: the
    partition's own name) on the postgres_fdw `server`. The remote table must exist with the same
    columns and its own unique indexes on the table's PARTITIONED columns. Refused while
    the district has rows here (move them first: a foreign partition is not filled by this)."""
    _check(table, district)
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", server):
        raise ValueError(f"not a server name: {server!r}")
    part = partition_name(table, district)
    if part in partitions_of(table):
        raise ValueError(f"{part} exists already")
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{table}" WHERE district_code = %s', [district])
        if cur.fetchone()[0]:
            raise ValueError(f"{table} holds rows of {district}: move them before attaching a remote partition")
        cur.execute(f'CREATE FOREIGN TABLE "{part}" PARTITION OF "{table}" FOR VALUES IN (%s) '
                    f'SERVER "{server}" OPTIONS (schema_name %s, table_name %s)',
                    [district, "public", remote_table or part])


def convert_sql(table: str, columns_sql: str, indexes: list[str]) -> list[str]:
    """Statements that turn the plain `table` into one partitioned by district_code, keeping
    every row and id (used by migrations). `columns_sql`: the column list of the new parent;
    the rows must already carry district_code."""
    plain = f"{table}_plain"
    seq = [f'ALTER TABLE "{table}" RENAME TO "{plain}"',
           f'CREATE TABLE "{table}" ({columns_sql}) PARTITION BY LIST (district_code)',
           f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT',
           *_unique_index_sql(table, f"{table}_default"),
           *indexes,
           f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{plain}"',
           f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), coalesce(max(id), 0) + 1, false) FROM \"{table}\"",
           f'DROP TABLE "{plain}"',
           # Autovacuum analyzes the partitions, never the partitioned parent: its statistics
           # (what the planner reads for joins) exist only once someone runs ANALYZE on it.
           f'ANALYZE "{table}"']
    return seq


def convert_table(schema_editor, table: str, columns_sql: str) -> None:
    """In a migration: rebuild the plain `table` as partitioned by district_code (convert_sql),
    its secondary indexes re-made on the new parent under their names (Django's state knows
    them), plus an index on id (the key Django reads rows by). Foreign keys of other tables to it
    are dropped (none may point at a partitioned table without a unique key): the migration marks
    them db_constraint=False, and Django keeps them. A unique index of the plain table (a UNIQUE
    field) cannot stand on the parent without the district: it becomes one per partition
    (PARTITIONED), and the migration's docstring says why the rule still holds. A unique index
    PARTITIONED does not list is refused before anything changes: it would be lost silently."""
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT i.indexname, i.indexdef, c.conname FROM pg_indexes i "
                    "LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.conrelid = %s::regclass "
                    "WHERE i.schemaname = current_schema() AND i.tablename = %s AND i.indexname <> %s "
                    "ORDER BY i.indexname", [table, table, f"{table}_pkey"])
        found = cur.fetchall()
        listed = set(PARTITIONED.get(table, ()))
        for name, definition, _c in found:
            columns = re.search(r"\(([^()]*)\)\s*$", definition)
            if definition.startswith("CREATE UNIQUE ") and (
                    columns is None or tuple(c.strip().strip('"') for c in columns.group(1).split(",")) not in listed):
                raise ValueError(f"{table}: unique index {name} is not kept per partition (add it to PARTITIONED)")
        cur.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                    "WHERE confrelid = %s::regclass AND contype = 'f' ORDER BY 1, 2", [table])
        for referencing, name in cur.fetchall():
            schema_editor.execute(f'ALTER TABLE {referencing} DROP CONSTRAINT "{name}"')
    # The new parent takes the indexes' names: free them first.
    for name, _definition, constraint in found:
        schema_editor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"' if constraint
                              else f'DROP INDEX "{name}"')
    indexes = [definition for _name, definition, _c in found if not definition.startswith("CREATE UNIQUE ")]
    indexes.append(f'CREATE INDEX "{table}_id" ON "{table}" (id)')
    for statement in convert_sql(table, columns_sql, indexes):
        schema_editor.execute(statement)
