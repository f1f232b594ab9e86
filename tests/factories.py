"""factory_boy factories for data that varies between tests (fixed reference geometry lives in
fixtures/ and the demo loaders). Import from here; tests never import each other."""
import io

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from factory.django import DjangoModelFactory
from PIL import Image

from layers.staff.models import Assignment


class UserFactory(DjangoModelFactory):
    """A staff account; the password is "pw-<username>" unless given."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.setdefault("password", f"pw-{kwargs['username']}")
        return model_class.objects.create_user(*args, **kwargs)


class AssignmentFactory(DjangoModelFactory):
    """A user's role on a grid."""

    class Meta:
        model = Assignment

    user = factory.SubFactory(UserFactory)
    role = "grid_member"
    grid = None


class _ImageBytesFactory(factory.Factory):
    """Bytes of an image file, built in memory (no file on disk)."""

    class Meta:
        model = bytes
        abstract = True

    size = (64, 48)
    colour = (200, 30, 30)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return cls._render(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        return cls._render(**kwargs)


class PngFactory(_ImageBytesFactory):
    """A plain PNG of one colour."""

    @classmethod
    def _render(cls, *, size, colour):
        out = io.BytesIO()
        Image.new("RGB", size, colour).save(out, format="PNG")
        return out.getvalue()


class JpegWithGpsFactory(_ImageBytesFactory):
    """A JPEG carrying a camera make and GPS position in its EXIF, as a phone sends it (the
    position is the demo street's, 31°13'20"N 121°26'40"E)."""

    make = "FictionalCam"

    @classmethod
    def _render(cls, *, size, colour, make):
        img = Image.new("RGB", size, colour)
        exif = Image.Exif()
        exif[0x010F] = make  # Make
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 13.0, 20.0), "E", (121.0, 26.0, 40.0)
        out = io.BytesIO()
        img.save(out, format="JPEG", exif=exif)
        return out.getvalue()


class AddressFactory(DjangoModelFactory):
    """A standard address at a point (lon, lat in the storage SRID), placed in the micro-grid that
    holds it as the one locate answers (none in a gap), like a registry import would."""

    class Meta:
        model = "addresses.Address"

    class Params:
        lon = 121.445
        lat = 31.225

    full_text = factory.Sequence(lambda n: f"测试路{n}号")
    households = 1
    geometry = factory.LazyAttribute(lambda o: Point(o.lon, o.lat, srid=settings.GEOGRID_SRID))
    grid_id = factory.LazyAttribute(lambda o: _micro_grid_id(o.lon, o.lat))


def _micro_grid_id(lon: float, lat: float) -> int | None:
    from layers.grids.locate import locate

    found = locate(lon=lon, lat=lat)
    return found.grid["id"] if found and found.grid else None
