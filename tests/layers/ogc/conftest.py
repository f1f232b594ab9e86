import pytest

from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure

GRID_A = "310106013001001"
GRID_B = "310106013001002"


@pytest.fixture
def inside(demo_grids):
    def point(code):
        p = demo_grids[code].geometry.point_on_surface
        return round(p.x, 7), round(p.y, 7)
    return point


@pytest.fixture
def cases(db, demo_grids, inside, make_user):
    """Three incidents in grid A, two in its neighbour B, and a head of A."""
    taxonomy_ensure()
    mine = [incident_create(lon=inside(GRID_A)[0], lat=inside(GRID_A)[1], description=f"张三家门口{i}",
                            type="CA01") for i in range(3)]
    theirs = [incident_create(lon=inside(GRID_B)[0], lat=inside(GRID_B)[1], description="李四家", type="PF01")
              for _ in range(2)]
    head = make_user("head-a", "grid_head", demo_grids[GRID_A])
    return {"mine": mine, "theirs": theirs, "head": head}
