"""Writes of staff: assignments (role + grid + duties) and public profiles."""
import hashlib
import io
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.audit.services import audit_record
from layers.core.errors import RuleViolation
from layers.core.images import ImageRejected, reencode
from layers.grids.models import Grid, GridNetwork

from .models import (PARTY_ROLES, ApiToken, Assignment, AssignmentChange, AssignmentChangeAction, Role,
                     StaffingTask, StaffProfile)


@transaction.atomic
def assignment_set(*, user, role: str, grid, duties: list[str] | None = None, active: bool = True,
                   by=None) -> Assignment:
    """Give `user` `role` on `grid` (idempotent: an existing assignment is updated). `by` is the
    acting user, for the audit log. Party roles are held on party-building grids, every other
    role on the administrative network."""
    if grid is not None and (role in PARTY_ROLES) != (grid.network == GridNetwork.PARTY):
        raise RuleViolation("role_network", _("The role %(role)s cannot be held on %(grid)s: party roles belong "
                                              "to the party-building grid, the others to the administrative grid")
                            % {"role": Role(role).label if role in Role.values else role, "grid": grid},
                            grids=[grid.code])
    a = Assignment.objects.filter(user=user, role=role, grid=grid).first() or Assignment(user=user, role=role, grid=grid)
    before = (a.active, list(a.duties)) if a.pk else None
    a.duties = sorted(set(duties or []))
    a.active = active
    a.full_clean()
    a.save()
    if before != (a.active, a.duties):
        assignment_audit(assignment=a, by=by, change="created" if before is None else "changed")
    if role == Role.GRID_HEAD and grid is not None:
        staffing_tasks_refresh(grid_ids=[grid.pk])
    return a


def assignment_audit(*, assignment: Assignment, by=None, change: str, request=None) -> None:
    """Record a role change (an assignment created, changed or removed) in the audit log."""
    audit_record(action="role_change", user=by, request=request, target=assignment, change=change,
                 subject_user=assignment.user.get_username(), role=assignment.role,
                 grid=assignment.grid.code if assignment.grid_id else None, active=assignment.active,
                 duties=list(assignment.duties))


@transaction.atomic
def assignment_follow(*, assignment: Assignment, action: str, to_grids: list, reason: str) -> AssignmentChange:
    """Carry one assignment across a boundary change: `moved` puts the person on each grid of
    `to_grids` (same role and duties; the old assignment ends), `kept` leaves them on their
    grid (changed in place), `ended` ends it. Recorded, so the person sees why and where."""
    if action not in AssignmentChangeAction.values:
        raise RuleViolation("assignment_action", _("Unknown decision %(a)r for an assignment") % {"a": action})
    if action == AssignmentChangeAction.MOVED and not to_grids:
        raise RuleViolation("assignment_target", _("Moving %(user)s needs at least one new grid")
                            % {"user": assignment.user})
    old_grid = assignment.grid
    if action != AssignmentChangeAction.KEPT:
        assignment.active = False
        assignment.save(update_fields=["active"])
    if action == AssignmentChangeAction.MOVED:
        for g in to_grids:
            assignment_set(user=assignment.user, role=assignment.role, grid=g, duties=assignment.duties)
    change = AssignmentChange.objects.create(user=assignment.user, role=assignment.role, from_grid=old_grid,
                                             action=action, reason=reason[:200])
    if action == AssignmentChangeAction.MOVED:
        change.to_grids.set(to_grids)
    elif action == AssignmentChangeAction.KEPT:
        change.to_grids.set([old_grid])
    return change


@transaction.atomic
def staffing_tasks_refresh(*, grid_ids: list[int]) -> list[StaffingTask]:
    """For each current grid given: open a task when it has no active grid head (one open task
    per grid), close its open task when it has one. Returns the tasks still open."""
    # Only micro-grids need a head: a grid with current base children is its station chief's.
    has_children = Grid.objects.filter(parent_id=OuterRef("pk"), kind="base", valid_to__isnull=True)
    grids = list(Grid.objects.filter(pk__in=grid_ids, valid_to__isnull=True).filter(~Exists(has_children)))
    headed = set(Assignment.objects.filter(grid_id__in=[g.pk for g in grids], role=Role.GRID_HEAD, active=True,
                                           user__is_active=True).values_list("grid_id", flat=True))
    now = timezone.now()
    StaffingTask.objects.filter(grid_id__in=headed, done_at__isnull=True).update(done_at=now)
    open_tasks = []
    for g in grids:
        if g.pk in headed:
            continue
        task = StaffingTask.objects.filter(grid=g, done_at__isnull=True).first()
        if task is None:
            task = StaffingTask.objects.create(grid=g, note=_("%(grid)s has no grid head: assign one") % {"grid": g})
        open_tasks.append(task)
    return open_tasks


@transaction.atomic
def staff_profile_set(*, user, display_name: str, public_phone: str = "", pledge: str = "",
                      show_publicly: bool = False) -> StaffProfile:
    """Create or update the public profile; `show_publicly` records the consent to be shown."""
    p = StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user)
    p.display_name = display_name
    p.public_phone = public_phone
    p.pledge = pledge
    p.show_publicly = show_publicly
    p.full_clean()
    p.save()
    return p


# What a profile photo may be, and how big: a portrait for a card, not an archive.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTO_MAX_SIDE = 800


@transaction.atomic
def staff_profile_photo_set(*, profile: StaffProfile, content: bytes, name: str) -> StaffProfile:
    """Store a portrait for the public card, re-encoded from pixels so no EXIF (GPS, camera)
    is published with it. `name` is the file name stem inside the field's upload_to."""
    try:
        clean = reencode(content, max_side=PHOTO_MAX_SIDE, formats=tuple(PHOTO_FORMATS), keep_png=True)
    except ImageRejected as exc:
        if exc.reason == "type":
            raise RuleViolation("photo_type", _("A staff photo must be JPEG, PNG or WebP"))
        raise RuleViolation("photo_unreadable", _("The staff photo is not a readable image"))
    if profile.photo:
        profile.photo.delete(save=False)
    profile.photo.save(f"{name}.{PHOTO_FORMATS[clean.format]}", ContentFile(clean.content), save=False)
    profile.full_clean()
    profile.save()
    return profile


# Tokens look like "ggt_<43 url-safe characters>": the prefix tells a token from a password in
# basic auth, and secret scanners can recognise a leaked one.
TOKEN_PREFIX = "ggt_"


def token_hash(raw: str) -> str:
    """The stored form of a token: SHA-256 hex (the token is 32 random bytes; no salt needed)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new personal API token for `user`; returns the row and the token, which is never
    stored and cannot be shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), key_hash=token_hash(raw), prefix=raw[:len(TOKEN_PREFIX) + 4])
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token (idempotent); the row stays, so its use remains on record."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_touch(*, token: ApiToken) -> None:
    """Record that a token was used, at most once a minute (a write per request would cost more
    than the check itself)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
