"""Writes of staff: assignments (role + grid + duties) and public profiles."""
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.core.images import ImageRejected, reencode

from .models import Assignment, StaffProfile


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
