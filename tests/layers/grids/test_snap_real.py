"""Snapping on real public boundaries: four DataV districts of Shanghai (fixtures/README.md for
source and licence). Two are stored as they are; the other two are imported with their vertices
moved by up to a few metres, as a second source's would be. Without snapping the import is
refused for overlaps; with --snap-m the adjustments are reported per grid with their m², and the
four districts tile again along their shared borders."""
import datetime

import pytest
import shapely

from layers.grids.geometry import geodesic_area_m2, shp
from layers.grids.importing import grids_import
from layers.grids.io import read_grid_file
from layers.grids.models import Grid

from tests.support import datav_subset

pytestmark = pytest.mark.django_db
STORED = ("黄浦区", "静安区")
MOVED = ("徐汇区", "虹口区")
JITTER_M = 4.0


def _borders(grids):
    """Pairs of stored districts that share a border, with the shared length (m, roughly)."""
    out = []
    for i, a in enumerate(grids):
        for b in grids[i + 1:]:
            shared = shapely.intersection(shp(a.geometry).boundary, shp(b.geometry).buffer(1e-6))
            if shared.length * 100_000 > 500:
                out.append((a, b, shared))
    return out


def test_snapping_restores_a_tiling_of_real_districts_moved_by_a_few_metres(tmp_path):
    # The demo street lies in 静安区: retire it so the districts can be the top level here.
    Grid.objects.filter(valid_to__isnull=True).update(valid_to=datetime.date(2026, 1, 1))
    first = grids_import(path=datav_subset(tmp_path, STORED), level=1, crs="gcj02", commit=True)
    assert not first.problems and len(first.created) == 2
    moved = datav_subset(tmp_path, MOVED, jitter_m=JITTER_M)
    # Unsnapped, the moved borders overlap the stored districts: the batch is refused.
    refused = grids_import(path=moved, level=1, crs="gcj02", commit=False)
    assert any(p["rule"] == "overlaps_sibling" for p in refused.problems)
    # Snapped within 10 m: every adjustment named with its grid and area, then written.
    report = grids_import(path=moved, level=1, crs="gcj02", snap_m=10.0, commit=True)
    assert not report.problems, report.problems
    snaps = [a for a in report.adjustments if a["action"] == "snap"]
    assert {a["grid"] for a in snaps} == set(MOVED)
    assert all(a["area_m2"] > 0 for a in report.adjustments)
    for a in report.adjustments:
        print(f"{a['action']} {a['grid']} {a['other']}: {a['area_m2']} m²")
    grids = list(Grid.objects.filter(level=1, valid_to__isnull=True).order_by("code"))
    assert {g.name for g in grids} == set(STORED) | set(MOVED)
    # A tiling again: no two districts overlap by more than the tolerance...
    borders = _borders(grids)
    assert len(borders) >= 3
    for a, b, _shared in borders:
        overlap = geodesic_area_m2(shapely.intersection(shp(a.geometry), shp(b.geometry)))
        assert overlap < 1.0, (a.name, b.name, overlap)
    # ...and the slivers the moved vertices opened along the shared borders are closed again:
    # measured as the area a 10 m closing adds to the union (thin gaps between neighbours).
    stored = [shp(g.geometry) for g in grids if g.name in STORED]
    unsnapped = list(read_grid_file(moved, crs="gcj02").frame.geometry)
    original = list(read_grid_file(datav_subset(tmp_path, STORED + MOVED), crs="gcj02").frame.geometry)
    before, after, real = _slivers(stored + unsnapped), _slivers([shp(g.geometry) for g in grids]), _slivers(original)
    print(f"slivers: source {real:.0f} m², moved {before:.0f} m², snapped {after:.0f} m²")
    assert before > 5_000 and after < before * 0.2 and after < real + 2_000


def _slivers(polys) -> float:
    u = shapely.union_all(polys)
    d = 5 / 111_320
    return geodesic_area_m2(shapely.difference(u.buffer(d).buffer(-d), u))
