"""Demo staff for the demo street: a planner, a street leader, an administrator, a station
chief per station, and a grid head plus one or two members (with 六大员 duties) for every
micro-grid. All fictional; password DEMO_PASSWORD. Idempotent: a second run adds nothing."""
import io
import os
import random
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from layers.core.management.commands.demo_banner import DEMO_PASSWORD
from layers.grids.models import Grid, Station
from layers.grids.selectors import grid_leaf_base_ids

from .models import Duty, Role, StaffProfile
from .names import chinese_name, mobile
from .services import assignment_set, staff_profile_photo_set, staff_profile_set

STREET_CODE = "310106013000"
PLEDGES = [
    "有事找网格，服务零距离。",
    "小事不出网格，大事不出社区。",
    "二十四小时内回应居民诉求。",
    "走百家门、知百家情、解百家忧。",
]


# Debian's fonts-noto-cjk; without it the avatars are plain colour squares.
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
AVATAR_SIDE = 240
AVATAR_COLOURS = ["#1f4e79", "#2e7d32", "#8e24aa", "#c62828", "#ef6c00", "#00838f", "#5d4037", "#3949ab"]


@cache
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(CJK_FONT, size) if os.path.exists(CJK_FONT) else None


def avatar_png(surname: str, *, seed: str) -> bytes:
    """A fictional portrait: a coloured square with the surname in white (no real faces)."""
    from PIL import Image, ImageDraw

    colour = random.Random(seed).choice(AVATAR_COLOURS)
    img = Image.new("RGB", (AVATAR_SIDE, AVATAR_SIDE), colour)
    font = _font(AVATAR_SIDE // 2 if len(surname) < 2 else AVATAR_SIDE // 3)
    if font is not None and surname:
        ImageDraw.Draw(img).text((AVATAR_SIDE / 2, AVATAR_SIDE / 2), surname, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _photo(user) -> bool:
    """Give a demo profile its avatar once; True if one was drawn. A second run draws nothing,
    and a file left by an earlier database (same username, same seed) is reused, not copied."""
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        return False
    storage = profile.photo.storage
    if profile.photo and storage.exists(profile.photo.name):
        return False
    stem = f"demo-{user.username}"
    name = profile.photo.field.generate_filename(profile, f"{stem}.png")
    if storage.exists(name):
        StaffProfile.objects.filter(pk=profile.pk).update(photo=name)
        return False
    staff_profile_photo_set(profile=profile, content=avatar_png(user.last_name, seed=user.username), name=stem)
    return True


@cache
def _password_hash() -> str:
    # One hash for every demo account: hashing ~100 passwords one by one takes half a minute.
    return make_password(DEMO_PASSWORD)


def _user(username: str, *, superuser: bool = False):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user:
        return user, False
    rng = random.Random(username)
    last, first = chinese_name(rng)
    user = User(username=username, password=_password_hash(), first_name=first, last_name=last,
                email=f"{username}@example.invalid", is_staff=superuser, is_superuser=superuser)
    user.save()
    return user, True


def _profile(user, rng: random.Random, *, public: bool) -> int:
    """The profile (once) and its avatar (once); returns the number of avatars drawn.
    Non-consenting members get an avatar too: the photo route must still refuse them."""
    if not StaffProfile.objects.filter(user=user).exists():
        staff_profile_set(user=user, display_name=f"{user.last_name}{user.first_name}", public_phone=mobile(rng),
                          pledge=rng.choice(PLEDGES), show_publicly=public)
    return int(_photo(user))


def load(stdout=None) -> None:
    street = Grid.objects.filter(code=STREET_CODE, valid_to__isnull=True).first()
    if street is None:
        if stdout:
            stdout.write("demo staff: skipped (no demo street)")
        return
    created = photos = 0
    admin, new = _user("admin", superuser=True)
    created += new
    for username, role in (("planner", Role.PLANNER), ("leader", Role.STREET_LEADER)):
        user, new = _user(username)
        created += new
        assignment_set(user=user, role=role, grid=street)
    for station in Station.objects.order_by("code"):
        community = (Grid.objects.filter(station=station, valid_to__isnull=True, kind="base")
                     .order_by("level", "code").first())
        if community is None:
            continue
        user, new = _user(f"chief-{station.code}")
        created += new
        assignment_set(user=user, role=Role.STATION_CHIEF, grid=community)
        photos += _profile(user, random.Random(user.username), public=True)
    duties = list(Duty.values)
    for grid in Grid.objects.filter(pk__in=grid_leaf_base_ids(under=street)).order_by("code"):
        rng = random.Random(grid.code)
        head, new = _user(f"head-{grid.code}")
        created += new
        assignment_set(user=head, role=Role.GRID_HEAD, grid=grid)
        photos += _profile(head, rng, public=True)
        # One or two members share the six duties between them.
        n = 1 + (int(grid.code[-3:]) % 2)
        rng.shuffle(duties)
        for i in range(1, n + 1):
            member, new = _user(f"member-{grid.code}-{i}")
            created += new
            share = duties[:3] if n == 2 and i == 1 else duties[3:] if n == 2 else duties
            assignment_set(user=member, role=Role.GRID_MEMBER, grid=grid, duties=share)
            # Not every member consents to the public card.
            photos += _profile(member, rng, public=rng.random() < 0.8)
    if stdout:
        stdout.write(f"demo staff: {created} users created, {photos} avatars drawn")
