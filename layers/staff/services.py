"""Writes of staff: assignments (role + grid + duties) and public profiles."""
import hashlib
import io
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.core.images import ImageRejected, reencode

from .models import ApiToken, Assignment, StaffProfile


@transaction.atomic
def assignment_set(*, user, role: str, grid, duties: list[str] | None = None, active: bool = True) -> Assignment:
    """Give `user` `role` on `grid` (idempotent: an existing assignment is updated)."""
    a = Assignment.objects.filter(user=user, role=role, grid=grid).first() or Assignment(user=user, role=role, grid=grid)
    a.duties = sorted(set(duties or []))
    a.active = active
    a.full_clean()
    a.save()
    return a


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
