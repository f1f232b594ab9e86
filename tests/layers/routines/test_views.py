"""The meeting and ledger pages (plain forms, in Chinese): schedule, record, decide, print on one
A4 page; leaders get the ledger's counts and no meeting pages."""
import re

import pytest

from layers.incidents.models import Incident
from layers.routines.models import Meeting

from tests.support import COMMUNITY, GRID_A

pytestmark = pytest.mark.django_db


def pdf_pages(content: bytes) -> int:
    return int(re.search(rb"/Type /Pages[^>]*?/Count (\d+)", content, re.S).group(1))


def test_chief_schedules_records_and_decides_on_the_pages(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    r = client.get("/meetings/")
    assert r.status_code == 200 and "安排例会" in r.content.decode()
    r = client.post("/meetings/", {"grid": g[COMMUNITY].pk, "kind": "monthly", "date": "2026-03-02", "place": "社区活动室"})
    meeting = Meeting.objects.get(grid=g[COMMUNITY])
    assert r.status_code == 302 and r["Location"] == f"/meetings/{meeting.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "月度例会" in page and "超期事件" in page and w["overdue"].ref in page and "期内巡查" in page
    r = client.post(f"/meetings/{meeting.pk}/", {"action": "record", "present": [w["users"]["head"].pk],
                                                  "minutes": "听取汇报", "held": "1", "guests": "居民代表，物业经理"})
    assert r.status_code == 302
    meeting.refresh_from_db()
    assert meeting.held and meeting.minutes == "听取汇报"
    assert sorted(a.name for a in meeting.attendances.filter(present=True)) == sorted(["李网格长", "居民代表", "物业经理"])
    r = client.post(f"/meetings/{meeting.pk}/", {"action": "decision", "text": "清理楼道", "kind": "incident",
                                                  "type": "CA01", "place_grid": g[GRID_A].pk})
    assert r.status_code == 302
    decision = meeting.decisions.get()
    assert decision.incident.grid_id == g[GRID_A].pk
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert decision.incident.ref in page
    # A refused decision answers the error page in Chinese, nothing stored.
    r = client.post(f"/meetings/{meeting.pk}/", {"action": "decision", "text": "", "kind": "record"})
    assert r.status_code == 400 and "请填写决议内容" in r.content.decode()
    assert meeting.decisions.count() == 1
    r = client.get(f"/meetings/{meeting.pk}/print/")
    assert r.status_code == 200 and "@page" in r.content.decode() and "清理楼道" in r.content.decode()
    r = client.get(f"/meetings/{meeting.pk}/print/", {"format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and pdf_pages(r.content) == 1


def test_a_full_agenda_still_prints_on_one_a4_page(routine_world, client, inside):
    from layers.incidents.services import incident_create

    w, g = routine_world, routine_world["grids"]
    lon, lat = inside(GRID_A)
    for n in range(40):
        incident_create(lon=lon, lat=lat, description=f"长描述的事件{n}" * 8, type="CA01")
    client.force_login(w["users"]["chief"])
    client.post("/meetings/", {"grid": g[COMMUNITY].pk, "kind": "monthly", "date": "2026-03-02"})
    meeting = Meeting.objects.get(grid=g[COMMUNITY])
    for n in range(8):
        client.post(f"/meetings/{meeting.pk}/", {"action": "decision", "text": f"决议{n}" * 20, "kind": "record"})
    client.post(f"/meetings/{meeting.pk}/", {"action": "record", "minutes": "纪要" * 600})
    r = client.get(f"/meetings/{meeting.pk}/print/", {"format": "pdf"})
    assert pdf_pages(r.content) == 1


def test_pages_follow_the_access_table_and_the_scope(routine_world, client):
    w, g = routine_world, routine_world["grids"]
    client.force_login(w["users"]["chief"])
    client.post("/meetings/", {"grid": g[COMMUNITY].pk, "kind": "monthly", "date": "2026-03-02"})
    meeting = Meeting.objects.get(grid=g[COMMUNITY])
    client.force_login(w["users"]["leader"])
    assert client.get("/meetings/").status_code == 403
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 403
    r = client.get("/ledgers/", {"grid": g[GRID_A].pk, "month": "2026-02"})
    assert r.status_code == 200 and "仅显示数量" in r.content.decode() and "测试甲" not in r.content.decode()
    client.force_login(w["users"]["other_chief"])
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 404
    assert client.get("/ledgers/", {"grid": g[GRID_A].pk}).status_code == 404
    # A member who was expected reads the meeting, without the organiser's forms.
    client.force_login(w["users"]["member"])
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "议程" in page and 'id="decision-form"' not in page
    assert client.post(f"/meetings/{meeting.pk}/", {"action": "decision", "text": "x"}).status_code == 403
    assert not Incident.objects.filter(description="x").exists()
