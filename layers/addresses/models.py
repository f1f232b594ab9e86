from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

SRID = settings.GEOGRID_SRID


class AddressKind(models.TextChoices):
    RESIDENTIAL = "residential", _("residential")
    SHOP = "shop", _("shop")
    OFFICE = "office", _("office")
    INSTITUTION = "institution", _("institution")
    OTHER = "other", _("other")


class Address(models.Model):
    """A standard address (标准地址 of 一标三实) with its point and its micro-grid.

    `grid` is the current micro-grid (a leaf base grid) holding the point; null means the
    point lies in no micro-grid: a coverage gap, listed by the assignment report. Partitioned by
    its grid's district (layers/core/partitions.py): no database keys to or from it, Django keeps them."""
    full_text = models.CharField(_("full address"), max_length=300)
    # The registry's own id of the row (编号): re-importing a corrected registry updates the
    # address with that id instead of adding a second one.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, default="", db_index=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = models.CharField(_("street"), max_length=50, blank=True)
    community = models.CharField(_("community"), max_length=50, blank=True)
    road = models.CharField(_("road or lane"), max_length=100, blank=True)
    number = models.CharField(_("number"), max_length=30, blank=True)
    building = models.CharField(_("building"), max_length=30, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    room = models.CharField(_("room"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AddressKind.choices, default=AddressKind.RESIDENTIAL)
    households = models.PositiveIntegerField(_("households"), default=0)
    geometry = models.PointField(_("location"), srid=SRID)
    # The system the point was given in before conversion at the edge (wgs84/cgcs2000/gcj02/bd09).
    source_crs = models.CharField(_("source coordinate system"), max_length=10, default="wgs84")
    grid = models.ForeignKey("grids.Grid", verbose_name=_("micro-grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="addresses", db_constraint=False)
    # The district of its micro-grid (layers/core/partitions.py district_code_of), the partition it
    # lives in; '000000' while it has none. Set with the grid by the assignment.
    district_code = models.CharField(max_length=6, default="000000", editable=False)
    near_boundary = models.BooleanField(_("near a grid boundary"), default=False)
    edge_distance_m = models.FloatField(_("distance to grid edge (m)"), null=True, blank=True)
    # When the assignment (grid, near-boundary flag or edge distance) last changed.
    assigned_at = models.DateTimeField(null=True, blank=True)
    special_grids = models.ManyToManyField("grids.Grid", through="AddressSpecialGrid", blank=True,
                                           related_name="special_addresses", verbose_name=_("special grids"))
    # full_text normalised for fuzzy search (full-width digits, 幢/栋/号楼, no city/district prefix);
    # a trigram index on it serves `address_search`.
    search_key = models.CharField(max_length=300, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        return self.full_text


class AddressSpecialGrid(models.Model):
    """An address lies in a special grid (business district, religious site...). Special grids
    overlay the base tiling, so an address may be in several; rebuilt by the assignment."""
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="special_links", db_constraint=False)
    grid = models.ForeignKey("grids.Grid", on_delete=models.CASCADE, related_name="special_address_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address", "grid"], name="address_special_grid_unique")]
