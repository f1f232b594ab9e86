"""The routines tests' world, in February 2026 (the clock stands at 2 March 2026, 09:00):
a station chief over community 310106013001, a grid head and a member of its micro-grid A,
a chief of the next community, a street leader; patrols, incidents, subjects and visits."""
import datetime as dt

import pytest
from django.utils import timezone

from layers.addresses.services import address_create
from layers.incidents.services import incident_create, incident_transition
from layers.patrols.models import Patrol
from layers.staff.models import Role
from layers.subjects.services import subject_create, visit_create

from tests.support import COMMUNITY, GRID_A, GRID_B, GRID_C, STREET_CODE


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def _close(incident, user):
    for to in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        incident = incident_transition(incident=incident, user=user, to=to)
    return incident


@pytest.fixture
def routine_world(taxonomy, inside, clock, make_user, demo_grids):
    g = demo_grids
    users = {
        "chief": make_user("rt-chief", Role.STATION_CHIEF, g[COMMUNITY], first_name="站长", last_name="王"),
        "head": make_user("rt-head", Role.GRID_HEAD, g[GRID_A], first_name="网格长", last_name="李"),
        "member": make_user("rt-member", Role.GRID_MEMBER, g[GRID_A], first_name="网格员", last_name="张"),
        "other_chief": make_user("rt-chief2", Role.STATION_CHIEF, g[GRID_C[:12]]),
        "leader": make_user("rt-leader", Role.STREET_LEADER, g[STREET_CODE]),
    }
    lon, lat = inside(GRID_A)
    # Patrols: two in February on grid A (one by the member, one by the head), one in January.
    patrols = {
        "feb": Patrol.objects.create(member=users["member"], grid=g[GRID_A], started_at=at("2026-02-10", 9),
                                     ended_at=at("2026-02-10", 11), distance_m=3200),
        "feb_head": Patrol.objects.create(member=users["head"], grid=g[GRID_A], started_at=at("2026-02-20", 14),
                                          ended_at=at("2026-02-20", 15), distance_m=1500),
        "jan": Patrol.objects.create(member=users["member"], grid=g[GRID_A], started_at=at("2026-01-15", 9),
                                     ended_at=at("2026-01-15", 10), distance_m=900),
    }
    # Incidents in February: one closed (on time) in A, one left open past its deadline in A,
    # one open in B; and one overdue in the other community (never on this station's agenda).
    clock.now = at("2026-02-05")
    closed = _close(incident_create(lon=lon, lat=lat, description="路灯不亮", type="CA01"), users["head"])
    overdue = incident_create(lon=lon, lat=lat, description="楼道堆物", type="CA01", reported_at=at("2026-02-12"))
    bx, by = inside(GRID_B)
    in_b = incident_create(lon=bx, lat=by, description="井盖松动", type="CA01", reported_at=at("2026-02-25"))
    cx, cy = inside(GRID_C)
    elsewhere = incident_create(lon=cx, lat=cy, description="别处的事", type="CA01", reported_at=at("2026-02-12"))
    # Subjects and visits in A: one visited in February, one never.
    addr = address_create(full_text="静安区测试路1弄1号", lon=lon, lat=lat, households=40)
    s1 = subject_create(address=addr, name="测试甲", category="ethnic_minority", phone="13912345678",
                        id_number="310101199001011234")
    s2 = subject_create(address=addr, name="测试乙", category="other")
    visit_create(subject=s1, staff=users["member"], date=dt.date(2026, 2, 14))
    clock.now = at("2026-03-02", 9)
    return {"grids": g, "users": users, "patrols": patrols, "overdue": overdue, "closed": closed, "in_b": in_b,
            "elsewhere": elsewhere, "subjects": (s1, s2)}
