"""Reads of staff: assignments in the acting user's scope, the public staff cards. The scope
itself (who may see what) is `layers.staff.scope.scope_for(user)`; every selector that returns
people, incidents, visits or their counts filters through it."""
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from layers.grids.models import Grid, GridKind
from layers.grids.selectors import grid_leaf_base_ids

from .models import FIELD_ROLES, ApiToken, Assignment, Role, StaffProfile
from .scope import scope_for


def assignment_list(*, user, grid_code: str | None = None, role: str | None = None) -> QuerySet[Assignment]:
    """Active assignments on grids in the user's scope: who answers for which grid. `grid_code`
    is a code prefix."""
    qs = (Assignment.objects.filter(scope_for(user).q("grid"), active=True)
          .select_related("user", "grid").order_by("grid__code", "role", "user__username"))
    if grid_code:
        qs = qs.filter(grid__code__startswith=grid_code)
    if role:
        qs = qs.filter(role=role)
    return qs


def assignment_list_own(*, user) -> QuerySet[Assignment]:
    """The acting user's own active assignments."""
    if not (user and user.is_authenticated):
        return Assignment.objects.none()
    return Assignment.objects.filter(user=user, active=True).select_related("grid")


def own_grid_list(*, user) -> list[Grid]:
    """The current grids the user is assigned to, field roles (grid head, member, station chief)
    first if they hold any, else all; by level then code. Duplicates (several roles) once."""
    rows = list(assignment_list_own(user=user).filter(grid__isnull=False, grid__valid_to__isnull=True)
                .order_by("grid__level", "grid__code"))
    preferred = [a for a in rows if a.role in FIELD_ROLES] or rows
    out, seen = [], set()
    for a in preferred:
        if a.grid_id not in seen:
            seen.add(a.grid_id)
            out.append(a.grid)
    return out


def scoped_grid_list(*, user, level: int | None = None, min_level: int | None = None,
                     kind: str | None = None, micro_only: bool = False) -> QuerySet[Grid]:
    """Current grids in the user's subtree, by level (exact or at least `min_level`), kind, or
    only the micro-grids (current base grids with no current base child)."""
    qs = scope_for(user).grids()
    if level is not None:
        qs = qs.filter(level=level)
    if min_level is not None:
        qs = qs.filter(level__gte=min_level)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if micro_only:
        qs = qs.filter(pk__in=grid_leaf_base_ids())
    return qs


def scoped_base_levels(*, user, min_level: int = 3) -> list[int]:
    """Levels of the base grids in the user's subtree, from `min_level` down (what a coverage
    map can show)."""
    qs = scoped_grid_list(user=user, kind=GridKind.BASE, min_level=min_level)
    return sorted(qs.order_by().values_list("level", flat=True).distinct())


def special_grid_list(*, user) -> QuerySet[Grid]:
    """Current special grids under the user's grids, or overlapping them: a grid head whose
    micro-grid lies in a business district sees that district too (figures about people and
    cases in it stay scoped)."""
    scope = scope_for(user)
    qs = Grid.objects.filter(valid_to__isnull=True).exclude(kind=GridKind.BASE)
    if scope.is_admin:
        return qs
    roots = Grid.objects.filter(path__in=scope.paths, valid_to__isnull=True).only("geometry")
    # Interiors meet (DE-9IM T********): a special grid merely touching the user's edge is not theirs.
    q = Q(pk__in=scope.grids().exclude(kind=GridKind.BASE).values("pk"))
    for root in roots:
        q |= Q(geometry__relate=(root.geometry, "T********"))
    return qs.filter(q)


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
