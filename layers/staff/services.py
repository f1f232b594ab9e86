"""Writes of staff: assignments (role + grid + duties) and public profiles."""
from django.db import transaction

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
