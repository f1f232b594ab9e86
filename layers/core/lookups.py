"""`<field>__any=[ids]`: the field equals one of a list of integer ids, sent as one array parameter
(`field = ANY(%s)`) rather than as `IN (%s, %s, ...)` with a placeholder per value.

One parameter keeps a long list cheap to send and plan, and PostgreSQL sees a constant array: it
estimates the rows from the column's statistics, uses it as an index condition (a btree on
`(field, ...)` is read once per value), and as a filter it hashes the array. Used where a scope is
turned into its grid ids (`Scope.q_grid_ids`). Registered on integer fields and foreign keys
by CoreConfig.ready()."""
from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [[int(v) for v in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::bigint[])", [*lhs_params, *rhs_params]
