"""The one photo re-encoder: pictures are rebuilt from their pixels, so nothing but pixels
survives (EXIF carries GPS position, camera serial and sometimes the owner's name; XMP and ICC
text ride along too). Used by incident photos and staff portraits; each caller words its own
refusals from the reason given here."""
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")
# What Pillow raises for a file that is not a readable image (or a decompression bomb).
_UNREADABLE = (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError)


class ImageRejected(Exception):
    """`reason`: "type" (format not allowed; `format` names it, None if not an image), "pixels"
    (more than the allowed pixels; `size` is (w, h)) or "unreadable"."""

    def __init__(self, reason: str, *, format: str | None = None, size: tuple[int, int] | None = None):
        super().__init__(reason)
        self.reason, self.format, self.size = reason, format, size


@dataclass
class Reencoded:
    content: bytes
    width: int
    height: int
    format: str  # "JPEG" or "PNG"


def _pixels(img: Image.Image, max_side: int) -> Image.Image:
    img = ImageOps.exif_transpose(img)  # keep the picture upright once the tag is gone
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, mask=img.split()[-1])
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((max_side, max_side))
    # Pixels only: a fresh image has no info dict, so no EXIF, XMP or ICC text rides along.
    return Image.frombytes("RGB", img.size, img.tobytes())


def reencode(data: bytes, *, max_side: int, formats=FORMATS, max_pixels: int | None = None,
             keep_png: bool = False, quality: int = 88) -> Reencoded:
    """`data` re-encoded from pixels, upright, transparency flattened on white, the longest side
    at most `max_side`: a JPEG (a PNG stays a PNG with `keep_png`). Raises ImageRejected."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in formats:
                raise ImageRejected("type", format=fmt)
            if max_pixels is not None and probe.width * probe.height > max_pixels:
                raise ImageRejected("pixels", size=(probe.width, probe.height))
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            clean = _pixels(img, max_side)
    except ImageRejected:
        raise
    except _UNREADABLE:
        raise ImageRejected("unreadable") from None
    out = io.BytesIO()
    if keep_png and fmt == "PNG":
        clean.save(out, format="PNG", optimize=True)
        fmt = "PNG"
    else:
        clean.save(out, format="JPEG", quality=quality, optimize=True)
        fmt = "JPEG"
    return Reencoded(content=out.getvalue(), width=clean.width, height=clean.height, format=fmt)


def thumbnail(content: bytes, *, side: int, quality: int = 80) -> bytes:
    """A small JPEG of an image, made from pixels only."""
    return reencode(content, max_side=side, quality=quality).content
