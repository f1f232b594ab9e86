"""Photos at intake: checked and re-encoded, so nothing but pixels survives. EXIF carries GPS
position, camera serial and sometimes the owner's name; re-encoding from pixel data drops it."""
import hashlib
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from layers.core.errors import RuleViolation

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
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in ALLOWED_FORMATS:
                raise RuleViolation("photo_type", _("Photo %(name)s is %(fmt)s; allowed are JPEG, PNG and WebP")
                                    % {"name": label, "fmt": fmt or _("not an image")})
            if probe.width * probe.height > MAX_PIXELS:
                raise RuleViolation("photo_too_large", _("Photo %(name)s has too many pixels (%(w)dx%(h)d)")
                                    % {"name": label, "w": probe.width, "h": probe.height})
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            img = ImageOps.exif_transpose(img)  # keep the picture upright once the tag is gone
            if img.mode in ("RGBA", "LA", "P"):
                img = img.convert("RGBA")
                flat = Image.new("RGB", img.size, (255, 255, 255))
                flat.paste(img, mask=img.split()[-1])
                img = flat
            elif img.mode != "RGB":
                img = img.convert("RGB")
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            # Pixels only: a fresh image has no info dict, so no EXIF, XMP or ICC text rides along.
            clean = Image.frombytes("RGB", img.size, img.tobytes())
            out = io.BytesIO()
            clean.save(out, format="JPEG", quality=88, optimize=True)
    except RuleViolation:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise RuleViolation("photo_unreadable", _("Photo %(name)s is not a readable JPEG, PNG or WebP image")
                            % {"name": label})
    content = out.getvalue()
    return CleanPhoto(content=content, width=clean.width, height=clean.height,
                      sha256=hashlib.sha256(content).hexdigest(), name=f"photo{index}.jpg")


# Longest side of a list thumbnail: small enough for a table cell on a phone.
THUMB_SIDE = 240


def photo_thumbnail(content: bytes, *, side: int = THUMB_SIDE) -> bytes:
    """A small JPEG of a stored (already clean) photo, made from pixels only."""
    with Image.open(io.BytesIO(content)) as img:
        img = img.convert("RGB")
        img.thumbnail((side, side))
        clean = Image.frombytes("RGB", img.size, img.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()
