"""Importing boundary files as grids: one service for the command line and the web page.
Read (CRS, codes, attributes), fit to the neighbours (snapping.py), check every rule through
`grids_create`, and write only when committed; the report says everything that was done."""
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import transaction
from django.utils.translation import gettext as _

from layers.core.crs import best_offset_m, offset_verdict
from layers.core.errors import RuleViolation

from .io import read_grid_file
from .models import NETWORK_CODE_PREFIX, Grid, GridKind, GridNetwork
from .services import BatchRuleViolation, GridSpec, grids_create
from .snapping import as_multipolygon, fit_batch

# Defaults of the web page and the command, stated in both: overlaps between two sources'
# neighbours were measured at 16,000-66,000 m², their slivers at a few thousand m² each.
CLIP_MAX_M2 = 100_000.0
SLIVER_MAX_M2 = 50_000.0


@dataclass
class GridImportReport:
    features: int = 0
    crs: str | None = None
    crs_source: str = ""
    encoding: str | None = None
    name_field: str | None = None
    code_field: str | None = None
    columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    padded: list[list[str]] = field(default_factory=list)
    offset: dict | None = None
    offset_verdict: str | None = None
    adjustments: list[dict] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    overlaps: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    committed: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _vertices(geoms, limit: int = 5000) -> np.ndarray:
    coords = [shapely.get_coordinates(g) for g in geoms if g is not None and not g.is_empty]
    if not coords:
        return np.empty((0, 2))
    xy = np.vstack(coords)
    return xy[np.linspace(0, len(xy) - 1, min(limit, len(xy))).astype(int)]


def _stored_near(bounds, *, margin_deg: float = 0.015, network: str = GridNetwork.BASE, **filters) -> list[Grid]:
    minx, miny, maxx, maxy = bounds
    box = Polygon.from_bbox((minx - margin_deg, miny - margin_deg, maxx + margin_deg, maxy + margin_deg))
    box.srid = settings.GEOGRID_SRID
    return list(Grid.all_networks.filter(network=network, valid_to__isnull=True, geometry__intersects=box, **filters))


class _DryRun(Exception):
    pass


def grids_import(*, path, level: int, parent: Grid | None = None, kind: str = GridKind.BASE, crs: str | None = None,
                 encoding: str | None = None, name_field: str | None = None, code_field: str | None = None,
                 snap_m: float = 0.0, clip_max_m2: float = CLIP_MAX_M2, sliver_max_m2: float = SLIVER_MAX_M2,
                 commit: bool = False, user=None, progress=None,
                 network: str = GridNetwork.BASE) -> GridImportReport:
    """Import a boundary file under `parent`; a dry run (commit=False) writes nothing and may
    run without a CRS (with a loud warning). Broken rules come back in `problems`, not raised.
    `network`: the base tiling by default; into another network (the party-building grid) the
    features fit to, and are checked against, that network's own grids only (the base grids are
    neither changed nor in the way), and a digits-only code read from the file (a division code)
    takes the network's prefix (P310106013000 for the party grid over street 310106013000)."""
    if network not in GridNetwork.values:
        raise RuleViolation("network_unknown", _("Unknown grid network %(network)s") % {"network": network})
    read = read_grid_file(path, encoding=encoding, name_field=name_field, code_field=code_field, crs=crs,
                          dry_run=not commit)
    frame = read.frame
    report = GridImportReport(features=len(frame), crs=read.crs, crs_source=read.crs_source, encoding=read.encoding,
                              name_field=read.name_field, code_field=read.code_field,
                              columns=[c for c in frame.columns if c != "geometry"],
                              notes=list(read.notes), warnings=list(read.warnings),
                              padded=[list(p) for p in read.padded])
    if report.features == 0:
        raise RuleViolation("file_empty", _("The file holds no features"))
    prefix = NETWORK_CODE_PREFIX.get(network, "")
    labels, geoms, codes = [], [], []
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        name = str(getattr(row, read.name_field)) if read.name_field and getattr(row, read.name_field) else f"#{i}"
        labels.append(name)
        geoms.append(row.geometry)
        code = read.codes[i - 1]
        codes.append(f"{prefix}{code}" if prefix and code and not code.startswith(prefix) else code)
        if progress and (i % 100 == 0 or i == report.features):
            progress("read", i, report.features)
    report.preview = [{"name": labels[i], "code": codes[i], "attributes": read.attributes[i]}
                      for i in range(min(5, len(labels)))]
    valid = [g for g in geoms if g is not None and not g.is_empty and g.is_valid]
    if valid:
        bounds = shapely.total_bounds(np.array(valid, dtype=object))
        # Offset against what is stored nearby (any grid): hundreds of metres = a datum mix-up.
        stored = _stored_near(bounds)
        if stored:
            ref = _vertices([shapely.from_wkb(bytes(g.geometry.wkb)) for g in stored])
            report.offset = best_offset_m(_vertices(valid, 2000), ref)
            c = shapely.centroid(shapely.union_all(valid))
            report.offset_verdict = offset_verdict(report.offset, c.x, c.y, read.crs or "wgs84")
        if kind == GridKind.BASE:
            filters = {"kind": GridKind.BASE, "parent": parent} if parent else {"kind": GridKind.BASE,
                                                                                 "parent__isnull": True}
            neighbours = [(g.code, shapely.from_wkb(bytes(g.geometry.wkb)))
                          for g in _stored_near(bounds, margin_deg=0.002, network=network, **filters)]
            fitted = fit_batch(geoms, labels, neighbours=neighbours,
                               parent=shapely.from_wkb(bytes(parent.geometry.wkb)) if parent else None,
                               snap_m=snap_m or 0.0, clip_max_m2=clip_max_m2 if snap_m else 0.0,
                               sliver_max_m2=sliver_max_m2 if snap_m else 0.0,
                               tolerance_m2=settings.GEOGRID_OVERLAP_TOLERANCE_M2)
            geoms = fitted.geoms
            report.adjustments, report.gaps, report.overlaps = fitted.adjustments, fitted.gaps, fitted.overlaps
    specs = []
    for i, g in enumerate(geoms):
        geometry = GEOSGeometry(memoryview(as_multipolygon(g).wkb), srid=settings.GEOGRID_SRID) if g is not None and not g.is_empty \
            else "POLYGON EMPTY"
        specs.append(GridSpec(name=labels[i], geometry=geometry, code=codes[i] or None,
                              attributes=read.attributes[i] if i < len(read.attributes) else {}))
    if progress:
        progress("check", 0, len(specs))
    try:
        with transaction.atomic():
            grids = grids_create(parent=parent, level=level, kind=kind, specs=specs, user=user, network=network)
            report.created = [{"id": g.pk, "code": g.code, "name": g.name} for g in grids]
            if not commit:
                raise _DryRun
    except BatchRuleViolation as exc:
        report.problems = exc.as_dict()["problems"]
        report.created = []
    except RuleViolation as exc:
        report.problems = [{"index": None, "feature": "", "rule": exc.rule, "detail": exc.messages[0],
                            "grids": exc.grids}]
        report.created = []
    except _DryRun:
        pass
    report.committed = bool(commit and not report.problems)
    if progress:
        progress("done", len(specs), len(specs))
    return report
