"""The acting user's scope: which grid subtrees they answer for, in which roles. Built once per
request (one query) and kept on the user object, so every selector that filters people,
incidents, visits or patrols asks the same object instead of assembling its own filter.

    scope = scope_for(request.user)
    Incident.objects.filter(scope.q("grid"))
"""
from dataclasses import dataclass, field

from django.db.models import Q

from .models import Assignment, FIELD_ROLES, LEADER_ROLES, Role

_CACHE_ATTR = "_geogrid_scope"
# Up to this many grids, a scope filters a list by their ids (Scope.q_grid_ids).
GRID_ID_LIST_MAX = 5000


@dataclass(frozen=True)
class Scope:
    """Who the user is to geogrid. `paths` are the path prefixes of the grids they are assigned
    to (a grid and everything below it); `everything` is the administrator's unlimited scope."""
    user_id: int | None
    authenticated: bool = False
    everything: bool = False
    roles: frozenset = frozenset()
    # role -> path prefixes of the grids held in that role
    role_paths: dict = field(default_factory=dict)
    # grid id -> level, of the grids the user is assigned to
    grid_levels: dict = field(default_factory=dict)
    # the ids and districts of the subtree's grids, read once (_subtree)
    _subtree_ids: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted({p for ps in self.role_paths.values() for p in ps}))

    @property
    def grid_ids(self) -> tuple[int, ...]:
        """The grids the user is assigned to (the tops of their subtrees)."""
        return tuple(sorted(self.grid_levels))

    @property
    def is_admin(self) -> bool:
        return self.everything

    @property
    def is_field(self) -> bool:
        """Holds a role that works cases and people inside a grid (grid member, head, station chief)."""
        return bool(self.roles & {str(r) for r in FIELD_ROLES})

    @property
    def is_leader(self) -> bool:
        return bool(self.roles & {str(r) for r in LEADER_ROLES})

    def has_role(self, *roles) -> bool:
        return self.everything or bool(self.roles & {str(r) for r in roles})

    def q(self, field: str = "grid", *, roles=None) -> Q:
        """Rows whose `field` (a Grid foreign key, or "" for Grid itself) lies in the user's
        subtree; with `roles`, only through assignments in one of those roles."""
        if self.everything and roles is None:
            return Q()
        paths = self.paths if roles is None else self.paths_for(*roles)
        if not paths:
            return Q(pk__in=[])
        key = f"{field}__path__startswith" if field else "path__startswith"
        q = Q()
        for p in paths:
            q |= Q(**{key: p})
        return q

    def q_grid_ids(self, field: str = "grid") -> Q:
        """The rows of q(field), filtered by the ids of the subtree's grids (`field__any`) when
        there are at most GRID_ID_LIST_MAX of them. For a newest-first page of a small subtree in
        a large registry: with an index on (field, the sort key) the database reads the subtree's
        own rows, where the path join walks the whole registry's newest rows until enough of them
        fall in the subtree (a street's first 50 incidents read 7,362 rows of a 51-street province).
        Larger subtrees (a large share of the registry) keep q(field)."""
        if self.everything or not self.paths:
            return self.q(field)
        ids = self._subtree()["ids"]
        return self.q(field) if ids is None else Q(**{f"{field}__any": ids})

    def q_districts(self, field: str = "district_code") -> Q:
        """Rows whose district (`field`, a table partitioned by district: layers/core/partitions.py)
        is one of the subtree's grids' districts; no condition for an administrator or a subtree
        of more than GRID_ID_LIST_MAX grids. Added beside the grid filter, it changes no answer
        (a row's district is its grid's) and lets PostgreSQL read only those partitions."""
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        districts = self._subtree()["districts"]
        return Q() if districts is None else Q(**{f"{field}__in": districts})

    def _subtree(self) -> dict:
        """The ids and districts of the subtree's grids (None past GRID_ID_LIST_MAX), read once."""
        if "ids" not in self._subtree_ids:
            from layers.core.partitions import district_code_of
            from layers.grids.models import Grid

            rows = list(Grid.all_networks.filter(self.q("")).order_by().values_list("id", "code")[:GRID_ID_LIST_MAX + 1])
            small = len(rows) <= GRID_ID_LIST_MAX
            self._subtree_ids["ids"] = [r[0] for r in rows] if small else None
            self._subtree_ids["districts"] = sorted({district_code_of(r[1]) for r in rows}) if small else None
        return self._subtree_ids

    def acts_as(self, *roles) -> bool:
        """True when the user holds one of `roles` on some grid (administrators get no special
        treatment here: this answers "does the user work in this capacity anywhere")."""
        return bool(self.paths_for(*roles))

    def paths_for(self, *roles) -> tuple[str, ...]:
        wanted = {str(r) for r in roles}
        return tuple(sorted({p for r, ps in self.role_paths.items() if r in wanted for p in ps}))

    def holds_path(self, path: str | None, *, roles=None) -> bool:
        """True when a grid with this materialised path lies in the scope."""
        if path is None:
            return False
        if self.everything and roles is None:
            return True
        paths = self.paths if roles is None else self.paths_for(*roles)
        return any(path.startswith(p) for p in paths)

    def holds(self, grid, *, roles=None) -> bool:
        return grid is not None and self.holds_path(grid.path, roles=roles)

    def grids(self, *, current: bool = True):
        """The grids in the user's subtree (their own grids and everything below)."""
        from layers.grids.models import Grid

        qs = Grid.objects.filter(self.q(""))
        return qs.filter(valid_to__isnull=True) if current else qs

    def access(self, route: str | None, method: str | None = None) -> str:
        """What the user's roles get on a route (layers.staff.access): full, masked, aggregate
        or none. The one table of least privilege; RouteAccess and route_access enforce it."""
        from .access import level_for

        return level_for(self, route, method)

    @property
    def sees_small_counts(self) -> bool:
        """True only for staff whose whole scope is micro-grids (grid heads and members): above the
        grid head's level, per-grid counts of a category are shown coarsened ("<10")."""
        if self.everything or not self.grid_levels:
            return False
        from layers.grids.models import Grid, GridKind

        return not Grid.objects.filter(parent_id__in=list(self.grid_levels), valid_to__isnull=True,
                                       kind=GridKind.BASE).exists()


ANONYMOUS = Scope(user_id=None)


def scope_for(user) -> Scope:
    """The scope of `user`, computed once and kept on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if isinstance(user, SystemActor):
        return EVERYTHING
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = list(Assignment.objects.filter(user=user, active=True)
                .values_list("role", "grid_id", "grid__path", "grid__level"))
    role_paths: dict[str, set] = {}
    levels = {}
    for role, grid_id, path, level in rows:
        role_paths.setdefault(role, set())
        if path:
            role_paths[role].add(path)
            levels[grid_id] = level
    scope = Scope(user_id=user.pk, authenticated=True,
                  everything=bool(user.is_superuser) or Role.ADMIN in role_paths,
                  roles=frozenset(role_paths), role_paths={r: tuple(sorted(p)) for r, p in role_paths.items()},
                  grid_levels=levels)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def scope_forget(user) -> None:
    """Drop the cached scope (after the user's assignments changed within one request)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


class SystemActor:
    """The actor of scheduled jobs (monthly assessments): sees every grid, holds no role. Never
    a request's user."""
    pk = None
    id = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_staff = False


SYSTEM = SystemActor()
EVERYTHING = Scope(user_id=None, authenticated=True, everything=True)
