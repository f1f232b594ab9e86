"""The one reader of grids as a GeoDataFrame (maps and file exports)."""
import pytest
import shapely

from layers.grids.frames import DETAIL_COLUMNS, GRID_COLUMNS, grid_frame, tolerance_for
from layers.grids.models import Grid

from tests.support import COMMUNITY, GRID_A, GRID_B

pytestmark = pytest.mark.django_db


def test_frame_of_grids_by_code_with_their_shapes(demo_grids):
    qs = Grid.objects.filter(code__in=[GRID_B, GRID_A, COMMUNITY])
    frame = grid_frame(qs)
    assert list(frame["code"]) == [COMMUNITY, GRID_A, GRID_B]
    assert list(frame.columns) == [*GRID_COLUMNS, "geometry"] and frame.crs.to_epsg() == 4490
    a = frame[frame["code"] == GRID_A].iloc[0]
    assert a["parent"] == demo_grids[COMMUNITY].pk and a["level"] == 4
    stored = shapely.from_wkb(bytes(demo_grids[GRID_A].geometry.wkb))
    assert a.geometry.equals_exact(stored, 1e-9)


def test_details_and_simplification(demo_grids):
    full = grid_frame(ids=[demo_grids[GRID_A].pk], details=True)
    assert set(DETAIL_COLUMNS) <= set(full.columns)
    assert full.iloc[0]["parent_code"] == COMMUNITY and full.iloc[0]["valid_to"] is None
    coarse = grid_frame(ids=[demo_grids[GRID_A].pk], tolerance=0.0005)
    assert shapely.get_num_coordinates(coarse.geometry.iloc[0]) <= shapely.get_num_coordinates(full.geometry.iloc[0])
    assert coarse.geometry.iloc[0].area == pytest.approx(full.geometry.iloc[0].area, rel=0.2)
    assert tolerance_for(37) < tolerance_for(10_000)


def test_no_grids_is_an_empty_frame_with_the_columns():
    frame = grid_frame(ids=[])
    assert frame.empty and list(frame.columns) == [*GRID_COLUMNS, "geometry"]
