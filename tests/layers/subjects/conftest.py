import datetime as dt

import pytest

from layers.addresses.services import address_create
from layers.staff.models import Role
from layers.subjects.services import subject_create

from tests.support import COMMUNITY, G1, G2, G3, ID_NUMBER, PHONE, STREET_CODE


def inside(grid):
    p = grid.geometry.point_on_surface
    return p.x, p.y


@pytest.fixture
def world(demo_grids, make_user):
    """Three micro-grids (two in one community), an address and subject in each, and staff."""
    g = demo_grids
    addr = {}
    for code, households in ((G1, 600), (G2, 250), (G3, 20)):
        lon, lat = inside(g[code])
        addr[code] = address_create(full_text=f"静安区测试路{code[-3:]}弄{households}号", lon=lon, lat=lat,
                                    households=households)
        assert addr[code].grid_id == g[code].pk
    s1 = subject_create(address=addr[G1], name="测试甲", category="ethnic_minority", phone=PHONE,
                        id_number=ID_NUMBER, ethnicity="回族", religion="伊斯兰教")
    s2 = subject_create(address=addr[G2], name="测试乙", category="religious_figure", phone="13800001111",
                        id_number="310101198001012222")
    s3 = subject_create(address=addr[G3], name="测试丙", category="other", phone="13800002222")
    users = {
        "member": make_user("t-member", Role.GRID_MEMBER, g[G1]),
        "head2": make_user("t-head2", Role.GRID_HEAD, g[G2]),
        "chief": make_user("t-chief", Role.STATION_CHIEF, g[COMMUNITY]),
        "leader": make_user("t-leader", Role.STREET_LEADER, g[STREET_CODE]),
        "planner": make_user("t-planner", Role.PLANNER, g[STREET_CODE]),
    }
    return {"grids": g, "addr": addr, "s1": s1, "s2": s2, "s3": s3, "users": users,
            "today": dt.date.today()}


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client
    return login
