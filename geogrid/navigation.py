"""The navigation of every page: each role sees only the pages it may use, in the user's
language, with the count of what waits for them. It sits at the project level because it
reads the scope (staff) and the work queue (field), both above core."""
from django.utils.translation import gettext_lazy as _

from layers.staff.access import NONE, is_public
from layers.staff.models import Role
from layers.staff.scope import scope_for

FIELD = "field"
LEADER = "leader"
PLANNER = "planner"
ADMIN = "admin"
PUBLIC = "public"

# (url, label, who may use it). Order is the order of the menu.
ITEMS = [
    ("/queue/", _("my work queue"), {FIELD}),
    ("/maps/grid/", _("my grid"), {FIELD, ADMIN}),
    ("/incidents/", _("incidents"), {FIELD, ADMIN}),
    ("/report/", _("report an incident"), {FIELD, ADMIN}),
    ("/visits/", _("subjects and visits"), {FIELD}),
    ("/subjects/", _("subjects"), {ADMIN}),
    ("/meetings/", _("grid meetings"), {FIELD, ADMIN}),
    ("/ledgers/", _("grid ledger"), {FIELD, LEADER, ADMIN}),
    ("/overview/", _("grid overview"), {LEADER, ADMIN}),
    ("/maps/coverage/", _("coverage map"), {LEADER, PLANNER, ADMIN}),
    ("/maps/hotspots/", _("hotspots"), {LEADER, ADMIN}),
    ("/maps/special/", _("special grids"), {LEADER, ADMIN}),
    ("/planner/", _("planner"), {PLANNER, ADMIN}),
    ("/service-card/", _("service card"), {PUBLIC}),
    ("/admin/", _("administration"), {ADMIN}),
]


def audiences(scope) -> set[str]:
    """The menu audiences a scope belongs to (anonymous visitors are the public)."""
    if not scope.authenticated:
        return {PUBLIC}
    out = set()
    if scope.is_admin:
        out.add(ADMIN)
    if scope.is_field:
        out.add(FIELD)
    if scope.is_leader:
        out.add(LEADER)
    if scope.has_role(Role.PLANNER) and not scope.is_admin:
        out.add(PLANNER)
    return out


def _open_to(scope, url: str) -> bool:
    """Whether the one access table (layers.staff.access) lets the scope in at all."""
    from django.urls import Resolver404, resolve

    try:
        route = resolve(url).view_name
    except Resolver404:
        return False
    return is_public(route) or (scope.authenticated and scope.access(route) != NONE)


def nav_items(request) -> list[dict]:
    """The pages the menu offers this user: those meant for their roles (ITEMS) that the access
    table also opens to them, so the menu never leads to a 403."""
    scope = scope_for(getattr(request, "user", None))
    who = audiences(scope)
    return [{"url": url, "label": label, "current": request.path == url}
            for url, label, allowed in ITEMS if allowed & who and _open_to(scope, url)]


def navigation(request):
    """Template context: `nav_items` (url, label, current, badge), `queue_count`, `nav_roles`."""
    user = getattr(request, "user", None)
    items = nav_items(request)
    scope = scope_for(user)
    count = 0
    if scope.is_field:
        from layers.field.selectors import queue_count

        count = queue_count(user=user)
        for item in items:
            if item["url"] == "/queue/":
                item["badge"] = count
    roles = [str(Role(r).label) for r in Role.values if r in scope.roles]
    return {"nav_items": items, "queue_count": count, "nav_roles": roles}
