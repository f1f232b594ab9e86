"""Who may see what: the acting user's grid scope. Every selector that returns people,
incidents or visits filters through `scope_q`."""
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from layers.grids.models import Grid

from .models import ApiToken, Assignment, Role, StaffProfile


def user_is_admin(*, user) -> bool:
    return bool(user and user.is_authenticated and (
        user.is_superuser or Assignment.objects.filter(user=user, role=Role.ADMIN, active=True).exists()))


def user_roles(*, user) -> set[str]:
    """The roles the user holds (active assignments)."""
    if not (user and user.is_authenticated):
        return set()
    return set(Assignment.objects.filter(user=user, active=True).values_list("role", flat=True))


def scope_paths(*, user) -> list[str] | None:
    """Path prefixes of the grids the user answers for; None means everything (administrator),
    [] means nothing."""
    if not (user and user.is_authenticated):
        return []
    if user_is_admin(user=user):
        return None
    paths = (Assignment.objects.filter(user=user, active=True, grid__isnull=False)
             .values_list("grid__path", flat=True))
    return sorted(set(paths))


def scope_q(*, user, field: str = "grid") -> Q:
    """A Q object limiting rows whose `field` (a Grid FK) lies in the user's subtree."""
    paths = scope_paths(user=user)
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__path__startswith": p})
    return q


def grid_list_in_scope(*, user, current: bool = True) -> QuerySet[Grid]:
    """The grids in the user's subtree (their own grids and everything below)."""
    paths = scope_paths(user=user)
    qs = Grid.objects.all()
    if paths is not None:
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(path__startswith=p)
        qs = qs.filter(q)
    if current:
        qs = qs.filter(valid_to__isnull=True)
    return qs


def scope_paths_for_roles(*, user, roles) -> list[str]:
    """Path prefixes of the grids the user holds one of `roles` on (administrators get no
    special treatment here: this answers "where does the user act in this capacity")."""
    if not (user and user.is_authenticated):
        return []
    paths = (Assignment.objects.filter(user=user, active=True, grid__isnull=False, role__in=list(roles))
             .values_list("grid__path", flat=True))
    return sorted(set(paths))


def scope_q_for_roles(*, user, roles, field: str = "grid") -> Q:
    """Like scope_q, but only through assignments with one of `roles`."""
    q = Q(pk__in=[])
    for p in scope_paths_for_roles(user=user, roles=roles):
        q |= Q(**{f"{field}__path__startswith": p})
    return q


def user_sees_small_counts(*, user) -> bool:
    """True only for staff whose whole scope is micro-grids (grid heads and members): above the
    grid head's level, per-grid counts of a category are shown coarsened ("<10")."""
    paths = scope_paths(user=user)
    if not paths:  # None (administrator: the whole territory) or nothing at all
        return False
    ids = [int(p.strip("/").split("/")[-1]) for p in paths]
    has_children = Grid.objects.filter(parent_id__in=ids, valid_to__isnull=True, kind="base").exists()
    return not has_children


def staff_public_list(*, grid_id: int) -> list[dict]:
    """The staff of a micro-grid who consented to be shown publicly (亮牌): its grid heads and
    members, and the station chief of a grid above it. Only the public card fields."""
    grid = Grid.objects.filter(pk=grid_id).only("path").first()
    if grid is None:
        return []
    chain = [int(x) for x in grid.path.strip("/").split("/") if x]
    rows = (Assignment.objects
            .filter(Q(grid_id=grid_id, role__in=[Role.GRID_HEAD, Role.GRID_MEMBER])
                    | Q(grid_id__in=chain, role=Role.STATION_CHIEF))
            .filter(active=True, user__is_active=True, user__staff_profile__show_publicly=True)
            .select_related("user__staff_profile"))
    order = {Role.STATION_CHIEF: 0, Role.GRID_HEAD: 1, Role.GRID_MEMBER: 2}
    out, seen = [], set()
    for a in sorted(rows, key=lambda a: (order.get(a.role, 9), a.user_id)):
        if (a.user_id, a.role) in seen:
            continue
        seen.add((a.user_id, a.role))
        p = a.user.staff_profile
        out.append({"name": p.display_name, "photo_url": staff_photo_url(profile=p),
                    "public_phone": p.public_phone, "pledge": p.pledge,
                    "role": a.role, "role_label": str(Role(a.role).label)})
    return out


def staff_photo_url(*, profile: StaffProfile) -> str:
    """The public photo route of a consenting profile ("" when there is nothing to show). The
    version parameter changes with the profile, so a new photo is not hidden by a cache."""
    if not (profile.photo and profile.show_publicly):
        return ""
    return reverse("staff-photo", args=[profile.pk]) + f"?v={int(profile.updated_at.timestamp())}"


def staff_photo_get(*, pk) -> StaffProfile:
    """A profile whose photo may be shown to anyone: consent given (show_publicly), account
    active, a photo stored. Http404 otherwise, without saying which condition failed."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404
    profile = (StaffProfile.objects.filter(pk=pk, show_publicly=True, user__is_active=True)
               .exclude(photo="").first())
    if profile is None:
        raise Http404
    return profile


def token_list(*, user) -> QuerySet[ApiToken]:
    """The acting user's own API tokens (never anyone else's), newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_get(*, user, pk: int) -> ApiToken:
    """One of the acting user's tokens; 404 for any other."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise Http404
    return token


def token_active_get(*, key_hash: str) -> ApiToken | None:
    """The live token with this hash and its active user, or None: one indexed lookup."""
    return (ApiToken.objects.select_related("user")
            .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True).first())
