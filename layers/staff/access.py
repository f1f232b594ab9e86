"""Least privilege: ONE table of what each role gets on each route.

    route name x role -> full | masked | aggregate | none

Enforced where scope is enforced: `Scope.access(route)` reads this table, the DRF permission
`RouteAccess` (the project's default permission class) refuses API requests whose level is
`none`, and the page decorator `route_access` does the same for pages. A route missing from
the table is refused for everyone but the public routes below (fail closed); the URL walk in
tests/layers/staff/test_access.py fails for any route missing here.

Levels (what the role may read through the route, always within its grid scope):
- full: rows with every field the route has (sensitive values still need a logged reveal);
- masked: rows with sensitive values masked (subjects: phone, ID number, ethnicity, religion);
- aggregate: counts per grid only, small counts coarsened ("<10") as the route coarsens them;
  a route that lists rows is never open to an aggregate-only role;
- none: 403 (401/redirect to the login when not logged in).

Leaders and planners work from aggregates: no per-person rows (subjects, visits, the visit
plan), no exports of people and no visit notes. Field roles keep their in-scope lists.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from .models import Role

FULL, MASKED, AGGREGATE, NONE = "full", "masked", "aggregate", "none"
_RANK = {NONE: 0, AGGREGATE: 1, MASKED: 2, FULL: 3}

# The audiences of the table: every Role, plus a logged-in user with no active role (a hotline
# operator reporting a case, a resident rating their own) and the anonymous visitor.
ANONYMOUS = "anonymous"
USER = "user"
FIELD = (Role.GRID_MEMBER, Role.GRID_HEAD, Role.STATION_CHIEF)
LEADERS = (Role.COMMUNITY_LEADER, Role.STREET_LEADER, Role.DISTRICT_LEADER)
PARTY = (Role.PARTY_GROUP_LEADER, Role.BRANCH_SECRETARY)
AUDIENCES = (ANONYMOUS, USER, *[str(r) for r in Role])


@dataclass(frozen=True)
class Rule:
    """One row of the table. `public`: open to anonymous visitors too (nothing personal)."""
    field: str = NONE       # grid member, grid head, station chief
    leader: str = NONE      # community, street and district leaders
    planner: str = NONE
    handler: str = NONE     # department handler (receives escalations)
    admin: str = NONE
    # party-group leader, general-branch secretary (the party-building grid); a row open to every
    # logged-in user (`user`) opens to them too, since they are logged-in users
    party: str = NONE
    user: str = NONE        # logged in, no active role
    public: bool = False
    # Who enforces it when it is not RouteAccess / route_access (e.g. Django's admin site).
    enforced_by: str = ""

    def level(self, audience: str) -> str:
        if audience == ANONYMOUS:
            return FULL if self.public else NONE
        if audience == USER:
            return self.user
        role = Role(audience)
        if role in FIELD:
            return self.field
        if role in LEADERS:
            return self.leader
        if role in PARTY:
            return self.party
        return {Role.PLANNER: self.planner, Role.DEPARTMENT_HANDLER: self.handler, Role.ADMIN: self.admin}[role]


def _all(level=FULL, **kw) -> Rule:
    """Every logged-in user, whatever their role (nothing personal behind the route)."""
    return Rule(**{"field": level, "leader": level, "planner": level, "handler": level, "admin": level,
                   "party": level, "user": level, **kw})


def _staff(level=FULL, **kw) -> Rule:
    """Every staff role (not a logged-in user without one)."""
    return Rule(**{"field": level, "leader": level, "planner": level, "handler": level, "admin": level,
                   "party": level, **kw})


PUBLIC = _all(public=True)
# Cases: field staff, leaders and department handlers work them; the planner sees counts only.
CASES = Rule(field=FULL, leader=FULL, handler=FULL, admin=FULL)
# People (subjects): field staff in scope, masked; nobody above the grid station reads rows.
PEOPLE = Rule(field=MASKED, admin=MASKED)
# Visit notes and the visit plan: field staff in scope.
VISITS = Rule(field=FULL, admin=FULL)
PLANS = Rule(planner=FULL, admin=FULL)
COUNTS = Rule(field=FULL, leader=AGGREGATE, planner=AGGREGATE, handler=AGGREGATE, admin=FULL)

# route name (namespace:name) -> Rule. Keys ending in " POST" (etc.) override one method.
ROUTES: dict[str, Rule] = {
    # --- the project -----------------------------------------------------------------------
    "home": _all(),
    "healthz": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "schema": PUBLIC,  # the API's shape, no data
    "admin:*": Rule(admin=FULL, enforced_by="django.contrib.admin (is_staff, model permissions)"),
    "admin:login": PUBLIC,
    "admin:logout": PUBLIC,
    # --- grids: boundaries are the street office's published map, not personal ----------------
    "grid-list": _all(),
    "grid-export": _all(),
    "grid-detail": _all(),
    "grid-children": _all(),
    "grid-ancestors": _all(),
    "grid-coverage": _all(),
    # --- staff ---------------------------------------------------------------------------------
    "staff-list": _staff(),
    "staff-photo": PUBLIC,  # only with the staff member's recorded consent (亮牌)
    "me": _all(),
    # Personal API tokens: each user lists, makes and revokes their own (scoped in the view).
    "token-list": _all(),
    "token-detail": _all(),
    # --- addresses -----------------------------------------------------------------------------
    "address-locate": _all(enforced_by="layers.addresses.api.views._authenticated (any logged-in user)"),
    # --- subjects and visits -------------------------------------------------------------------
    "subject-list": PEOPLE,
    "subject-export": PEOPLE,
    "subject-detail": PEOPLE,
    "subject-reveal": Rule(field=FULL),  # logged; administrators and leaders never reveal
    "visit-list": VISITS,
    "visit-due": VISITS,
    "coverage": COUNTS,
    "reveal-log": Rule(field=FULL, admin=FULL),
    "service-card": PUBLIC,  # page and API share the name; both public, nothing personal
    "subjects": PEOPLE,      # the subjects page
    # --- incidents -----------------------------------------------------------------------------
    "incident-list": CASES,
    # Anyone logged in may report a case (a hotline operator); the list stays with case workers.
    "incident-list POST": Rule(field=FULL, leader=FULL, handler=FULL, admin=FULL, planner=FULL, party=FULL, user=FULL),
    "incident-geojson": CASES,
    "incident-export": CASES,
    "incident-stats": COUNTS,
    "incident-types": _all(),
    "incident-detail": CASES,
    "incident-photo": CASES,
    "incident-transition": CASES,
    "incident-move": CASES,
    "incident-escalate": CASES,
    "incident-escalation": CASES,
    # The reporter rates their own case (scoped in the view: in scope or reported by them).
    "incident-rating": Rule(field=FULL, leader=FULL, handler=FULL, admin=FULL, planner=FULL, party=FULL, user=FULL),
    "incident-page": CASES,
    # --- field pages (the phone pages of daily work) -------------------------------------------
    "field-queue": Rule(field=FULL, admin=FULL),
    "incident-page-detail": CASES,
    # The report page posts to incident-list POST: whoever may report may open it.
    "field-report": Rule(field=FULL, leader=FULL, handler=FULL, admin=FULL, planner=FULL, party=FULL, user=FULL),
    "field-visits": VISITS,
    # --- overview and assessment: figures per grid, the leaders' ranking ----------------------
    # ?network=party: the party roles read their own network's figures (their scope counts no
    # incident but the matters their network raised).
    "overview": Rule(field=FULL, leader=AGGREGATE, planner=AGGREGATE, handler=AGGREGATE, admin=FULL, party=AGGREGATE),
    "overview-page": Rule(field=FULL, leader=AGGREGATE, planner=AGGREGATE, handler=AGGREGATE, admin=FULL,
                          party=AGGREGATE),
    # Grid scores and the staff's monthly scores (staff, not subjects: no personal data of residents).
    "assessment-list": COUNTS,
    # --- plans -------------------------------------------------------------------------------
    "plan-list": PLANS,
    "plan-detail": PLANS,
    "plan-validate": PLANS,
    "plan-impact": PLANS,  # household, address, subject and case counts moved: aggregates
    "plan-grid": PLANS,
    "plan-reference": PLANS,  # grid outlines, names and address points of a parent the planner may plan
    **{f"plan-{a}": PLANS for a in ("split", "merge", "draw", "undo", "redo", "discard", "autopartition",
                                    "publish")},
    "planner": PLANS,
    # --- imports (boundary files and address registries; a planner's own jobs) ----------------
    **{name: PLANS for name in ("imports", "import-detail", "import-run", "import-status")},
    # --- maps ----------------------------------------------------------------------------------
    "maps:coverage": Rule(field=FULL, leader=AGGREGATE, planner=AGGREGATE, admin=FULL),
    # The hotspot page draws case points; the planner gets the per-grid statistic only.
    "maps:hotspots": CASES,
    "maps:api-hotspots": COUNTS,
    "maps:special": Rule(field=FULL, leader=AGGREGATE, planner=AGGREGATE, admin=FULL),
    "maps:grid": CASES,
    # Meeting exports in the background: a job is its requester's own (the selector narrows to
    # them); the page rendered is checked against its own row above when the job is made.
    **{name: Rule(field=FULL, leader=FULL, planner=FULL, handler=FULL, admin=FULL)
       for name in ("maps:api-exports", "maps:api-export", "maps:api-export-file")},
    # --- patrols: tracks are personal data; the selectors narrow to the member's own, or to the
    # grids a grid head / station chief answers for. Leaders get hours and distance in coverage.
    "patrol-list": Rule(field=FULL, admin=FULL),
    "patrol-geojson": Rule(field=FULL, admin=FULL),
    "patrol-detail": Rule(field=FULL, admin=FULL),
    "patrol-points": Rule(field=FULL, admin=FULL),
    "patrol-end": Rule(field=FULL, admin=FULL),
    "patrol": Rule(field=FULL, admin=FULL),
    "patrol-map": Rule(field=FULL, admin=FULL),
    # --- routines (layers/routines): meetings are the field staff's own work (the station chief or
    # grid head organises, members attend); leaders read their counts in the ledger. The ledger
    # is counts for leaders (small counts coarsened), with the rows behind them for field staff.
    **{name: Rule(field=FULL, admin=FULL) for name in (
        "meeting-list", "meeting-detail", "meeting-agenda", "meeting-decisions", "decision-incident",
        "decision-task", "decision-done", "meetings-page", "meeting-page", "meeting-print")},
    "ledger": Rule(field=MASKED, leader=AGGREGATE, admin=MASKED),
    "ledger-page": Rule(field=MASKED, leader=AGGREGATE, admin=MASKED),
    # --- the party-building network (双网联动): its boundaries are published like the others';
    # its matters are read by the party roles of the raising grid (scoped in the selectors) ----
    "party-grid-list": _all(),
    "party-matter-list": Rule(party=FULL, admin=FULL),
    "party-matter-detail": Rule(party=FULL, admin=FULL),
    "party-matters": Rule(party=FULL, admin=FULL),
    "party-matter-page": Rule(party=FULL, admin=FULL),
    # --- the offline app: manifest, worker, outbox shell (the outbox lives on the device) ------
    "manifest": PUBLIC,
    "service-worker": PUBLIC,
    "outbox": PUBLIC,
    "offline": PUBLIC,
    # --- residents (no login): report, follow by tracking code, rate once closed --------------
    "public-address-search": PUBLIC,
    "public-report-create": PUBLIC,
    "public-report-status": PUBLIC,
    "public-report-rating": PUBLIC,
    "public-report": PUBLIC,
    "public-track": PUBLIC,
    # What boundary changes did to the user's own assignments: anyone logged in reads their own,
    # so a person left with no role by a plan still reads why and where.
    "maps:grid-changes": _all(),
    # --- OGC API Features and vector tiles (GIS clients): map layers for everyone logged in;
    # incidents as cases (no personal fields in them), coverage figures as counts -------------------
    **{f"ogc-{r}": _all() for r in ("landing", "conformance", "collections", "collection", "queryables",
                                     "items", "item")},
    "ogc-incident-items": CASES,
    "ogc-incident-item": CASES,
    "ogc-coverage-items": COUNTS,
    "ogc-coverage-item": COUNTS,
    "tiles-tile": _all(),
    "tiles-tilejson": _all(),
    "tiles-incidents": CASES,
    "tiles-incidents-tilejson": CASES,
    "tiles-coverage": COUNTS,
    "tiles-coverage-tilejson": COUNTS,
    # --- Open311 GeoReport v2: city systems, each by its own api_key (services are public) -------
    **{f"open311-{r}": _all(public=True, enforced_by="layers.open311 api_key of a registered client")
       for r in ("services", "service", "requests", "request", "token")},
}


def rule_for(route: str | None, method: str | None = None) -> Rule | None:
    """The table's row for a route name (namespaced as `ns:name`), or None when it is missing."""
    if not route:
        return None
    if method:
        rule = ROUTES.get(f"{route} {method.upper()}")
        if rule is not None:
            return rule
    if route in ROUTES:
        return ROUTES[route]
    namespace = route.split(":", 1)[0] if ":" in route else None
    return ROUTES.get(f"{namespace}:*") if namespace else None


def audiences(scope) -> tuple[str, ...]:
    """The table's audiences a scope belongs to (a user with several roles gets the most any
    one of them gives; the scope still limits the rows to their grids)."""
    if not scope.authenticated:
        return (ANONYMOUS,)
    if scope.everything:
        return (str(Role.ADMIN),)
    return (USER, *sorted(scope.roles))


def level_for(scope, route: str | None, method: str | None = None) -> str:
    rule = rule_for(route, method)
    if rule is None:
        return NONE
    return max((rule.level(a) for a in audiences(scope)), key=_RANK.__getitem__)


def is_public(route: str | None, method: str | None = None) -> bool:
    rule = rule_for(route, method)
    return bool(rule and rule.public)


def _route_of(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else None


class RouteAccess(BasePermission):
    """DRF: refuse a request whose route gives the acting user's roles nothing (the table above).
    Anonymous requests to non-public routes fail here too (DRF answers 401/403)."""
    message = gettext_lazy("Your role gives no access to this.")

    def has_permission(self, request, view):
        from .scope import scope_for

        route = _route_of(request)
        if is_public(route, request.method):
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        return scope_for(request.user).access(route, request.method) != NONE


def route_access(view):
    """Page decorator: the login first (redirect), then the table (403 when the level is none)."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        from .scope import scope_for

        route = _route_of(request)
        if not is_public(route, request.method):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if scope_for(request.user).access(route, request.method) == NONE:
                raise PermissionDenied(_("Your role gives no access to this."))
        return view(request, *args, **kwargs)
    return wrapped
