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


@pytest.fixture
def figures(demo_grids, inside, make_user):
    """Subjects of one category in micro-grid A (3) and B (12), a case in A, a grid head of A
    and a community leader over both; the rows coverage_list gives each of them."""
    from layers.addresses.services import address_create
    from layers.incidents.services import incident_create
    from layers.incidents.taxonomy import taxonomy_ensure
    from layers.subjects.services import subject_create

    taxonomy_ensure()
    for code, n in ((GRID_A, 3), ("310106013001002", 12)):
        lon, lat = inside(code)
        address = address_create(full_text=f"测试路{code}号", lon=lon, lat=lat, households=4)
        for i in range(n):
            subject_create(address=address, name=f"对象{code}-{i}", category="religious_figure")
    incident_create(lon=inside(GRID_A)[0], lat=inside(GRID_A)[1], description="井盖缺失", type="CA01")
    head = make_user("tile-head", "grid_head", demo_grids[GRID_A])
    leader = make_user("tile-leader", "community_leader", demo_grids["310106013001"])
    return {"head": head, "leader": leader}
