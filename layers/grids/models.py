from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SRID = settings.GEOGRID_SRID


class GridKind(models.TextChoices):
    BASE = "base", _("base grid")
    BUSINESS_DISTRICT = "business_district", _("business district")
    COMMERCIAL_STREET = "commercial_street", _("commercial street")
    INDUSTRIAL_PARK = "industrial_park", _("industrial park")
    RELIGIOUS_SITE = "religious_site", _("religious site")
    BUSINESS_BUILDING = "business_building", _("business building")
    MARKET = "market", _("market")
    OTHER = "other", _("other special grid")


class GridUse(models.TextChoices):
    """What a base grid mostly holds (Jing'an's 37 = 32 residential + 5 business-building)."""
    RESIDENTIAL = "residential", _("residential")
    BUSINESS_BUILDING = "business_building", _("business building")
    MIXED = "mixed", _("mixed")
    PARK = "park", _("park")


class GridNetwork(models.TextChoices):
    """The networks of grids over one territory (双网联动). `base` is the administrative tiling every
    rule of the house speaks of (locate, micro-grids, coverage, overview, tiles, OGC, imports);
    another network (the party-building grid: general branches over party groups) tiles itself by
    the same rules within its own network, may overlap the base tiling, and is read only through
    `Grid.all_networks` by code that names the network."""
    BASE = "base", _("administrative grid network")
    PARTY = "party", _("party-building grid network")


# The code of a grid of another network starts with the network's letter, so it never meets a
# base code (division codes and their sequences are digits only).
NETWORK_CODE_PREFIX = {GridNetwork.PARTY: "P"}


class BaseNetworkManager(models.Manager):
    """`Grid.objects`: the base network only. Every reader written before the networks (and every
    one that does not name a network) keeps meaning the administrative tiling."""

    def get_queryset(self):
        return super().get_queryset().filter(network=GridNetwork.BASE)


class Station(models.Model):
    """网格工作站: set up per residential committee or park; its chief answers for its grids."""
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("public phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("grid station")
        verbose_name_plural = _("grid stations")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Grid(models.Model):
    """A grid of any level. Base grids tile their parent; special grids overlay it.

    A grid is never deleted: retiring it sets `valid_to`, and its code stays taken.
    `path` is the chain of ids from the top ("/1/5/23/") so a subtree is one prefix match.
    """
    parent = models.ForeignKey("self", verbose_name=_("parent grid"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    # A grid and its parent are always of one network (grids_create checks it).
    network = models.CharField(_("grid network"), max_length=16, choices=GridNetwork.choices,
                               default=GridNetwork.BASE, db_default=GridNetwork.BASE, db_index=True)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    level = models.PositiveSmallIntegerField(_("level"))
    kind = models.CharField(_("kind"), max_length=32, choices=GridKind.choices, default=GridKind.BASE)
    use = models.CharField(_("use"), max_length=32, choices=GridUse.choices, blank=True, default="")
    name = models.CharField(_("name"), max_length=100)
    # Streets and communities carry their 12-digit division code; below that a grid is its
    # parent's code plus a 3-digit sequence, west to east then north to south.
    code = models.CharField(_("code"), max_length=32)
    # Next 3-digit sequence for a child of this grid; only grows, so codes are never reused.
    next_child_seq = models.PositiveIntegerField(default=1, editable=False)
    station = models.ForeignKey(Station, verbose_name=_("station"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="grids")
    geometry = models.MultiPolygonField(_("boundary"), srid=SRID)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # Bumped on every boundary change: optimistic locking for editors and cache keys.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Every attribute of the source feature an import read (adcode, names, parents, ...), kept
    # as given so that it can be exported back; the system's own fields never come from here.
    attributes = models.JSONField(_("source attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The base network (the default manager: admin, related lists, every unnamed reader) ...
    objects = BaseNetworkManager()
    # ... and every network, for the code that says which network it means.
    all_networks = models.Manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(valid_to__isnull=True),
                                    name="grid_code_unique_current"),
        ]
        indexes = [models.Index(fields=["parent", "kind"]), models.Index(fields=["level"])]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def is_special(self) -> bool:
        return self.kind != GridKind.BASE


class GridCode(models.Model):
    """Every code ever issued. A code once given is never given to another grid."""
    code = models.CharField(max_length=32, unique=True)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="issued_codes")
    issued_at = models.DateTimeField(auto_now_add=True)


class GridVersion(models.Model):
    """A period in which a grid had one boundary (MapIt's generations, per grid).

    Answers "which grid held this point on date D": the version whose
    [valid_from, valid_to) contains D.
    """
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    geometry = models.MultiPolygonField(srid=SRID)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    change = models.CharField(max_length=200, blank=True)
    # The source attributes as they were for this version (see Grid.attributes).
    attributes = models.JSONField(default=dict, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grid", "version"]
        constraints = [models.UniqueConstraint(fields=["grid", "version"], name="grid_version_unique")]


class GridPiece(models.Model):
    """Current grids cut by ST_Subdivide into small pieces with a GiST index: the fast path
    for point-in-polygon (a point probes a few small boxes instead of one huge polygon)."""
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="pieces")
    kind = models.CharField(max_length=32)
    level = models.PositiveSmallIntegerField()
    geometry = models.PolygonField(srid=SRID)
