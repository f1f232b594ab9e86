"""Photos at intake: checked and re-encoded by the one re-encoder (layers/core/images.py), so
nothing but pixels survives."""
import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from layers.core.errors import RuleViolation
from layers.core.images import ImageRejected, reencode, thumbnail

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PHOTOS = 5
# Longest side kept; a scene photo does not need more, and it bounds storage.
MAX_SIDE = 2560


@dataclass
class CleanPhoto:
    content: bytes
    width: int
    height: int
    sha256: str
    name: str


def clean_photo(upload, *, index: int = 1) -> CleanPhoto:
    """Validate one uploaded file and return it re-encoded as a JPEG without any metadata."""
    label = getattr(upload, "name", "") or f"#{index}"
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise RuleViolation("photo_too_large", _("Photo %(name)s is %(size).1f MB; the limit is %(limit)d MB")
                            % {"name": label, "size": size / 1048576, "limit": MAX_BYTES // 1048576})
    data = upload.read()
    if len(data) > MAX_BYTES:
        raise RuleViolation("photo_too_large", _("Photo %(name)s is %(size).1f MB; the limit is %(limit)d MB")
                            % {"name": label, "size": len(data) / 1048576, "limit": MAX_BYTES // 1048576})
    try:
        clean = reencode(data, max_side=MAX_SIDE, formats=ALLOWED_FORMATS, max_pixels=MAX_PIXELS)
    except ImageRejected as exc:
        if exc.reason == "type":
            raise RuleViolation("photo_type", _("Photo %(name)s is %(fmt)s; allowed are JPEG, PNG and WebP")
                                % {"name": label, "fmt": exc.format or _("not an image")})
        if exc.reason == "pixels":
            raise RuleViolation("photo_too_large", _("Photo %(name)s has too many pixels (%(w)dx%(h)d)")
                                % {"name": label, "w": exc.size[0], "h": exc.size[1]})
        raise RuleViolation("photo_unreadable", _("Photo %(name)s is not a readable JPEG, PNG or WebP image")
                            % {"name": label})
    return CleanPhoto(content=clean.content, width=clean.width, height=clean.height,
                      sha256=hashlib.sha256(clean.content).hexdigest(), name=f"photo{index}.jpg")


# Longest side of a list thumbnail: small enough for a table cell on a phone.
THUMB_SIDE = 240


def photo_thumbnail(content: bytes, *, side: int = THUMB_SIDE) -> bytes:
    """A small JPEG of a stored (already clean) photo, made from pixels only."""
    return thumbnail(content, side=side)
