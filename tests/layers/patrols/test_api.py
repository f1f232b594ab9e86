"""Patrols: the phone's contract (start, points, end), scope of tracks, reports tied to a patrol,
and patrol figures in coverage."""
import time

import pytest

from layers.incidents.taxonomy import taxonomy_ensure
from layers.patrols.models import Patrol, PatrolPoint, PatrolReport
from layers.staff.models import Role

G1, G2 = "310106013001001", "310106013001002"
COMMUNITY, STREET = "310106013001", "310106013000"

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(demo_grids, make_user):
    g = demo_grids
    return {"member": make_user("p-member", Role.GRID_MEMBER, g[G1]),
            "mate": make_user("p-mate", Role.GRID_MEMBER, g[G1]),
            "other": make_user("p-other", Role.GRID_MEMBER, g[G2]),
            "head": make_user("p-head", Role.GRID_HEAD, g[G1]),
            "chief": make_user("p-chief", Role.STATION_CHIEF, g[COMMUNITY]),
            "leader": make_user("p-leader", Role.STREET_LEADER, g[STREET]),
            "grids": g}


def api(client, user):
    client.force_login(user)
    return client


def walk(grid, n=5, t0=None):
    """n points across the inside of a grid, 30 s apart, as [lon, lat, unix_seconds]."""
    p = grid.geometry.point_on_surface
    t0 = t0 or int(time.time()) - 60
    return [[round(p.x + i * 0.0002, 7), round(p.y, 7), t0 + 30 * i] for i in range(n)]


def test_a_member_starts_records_and_ends_a_patrol(client, crew):
    c = api(client, crew["member"])
    start = c.post("/api/patrols/", {}, content_type="application/json")
    assert start.status_code == 201, start.content
    pid = start.json()["id"]
    assert start.json()["grid"]["code"] == G1 and start.json()["open"]
    pts = walk(crew["grids"][G1])
    added = c.post(f"/api/patrols/{pid}/points/", {"points": pts}, content_type="application/json")
    assert added.status_code == 200, added.content
    assert added.json()["added"] == 5
    # 4 steps of 0.0002 degrees of longitude at 31.2 N: about 76 m.
    assert 70 < added.json()["distance_m"] < 82
    # The same points again (a replay without a key) add nothing.
    again = c.post(f"/api/patrols/{pid}/points/", {"points": pts[2:]}, content_type="application/json")
    assert again.json()["added"] == 0 and PatrolPoint.objects.filter(patrol_id=pid).count() == 5
    end = c.post(f"/api/patrols/{pid}/end/", {}, content_type="application/json")
    assert end.status_code == 200 and not end.json()["open"] and end.json()["duration_s"] >= 0
    assert c.post(f"/api/patrols/{pid}/end/", {}, content_type="application/json").status_code == 409
    detail = c.get(f"/api/patrols/{pid}/").json()
    assert detail["geometry"]["type"] == "LineString" and len(detail["properties"]["points"]) == 5


def test_points_replayed_with_their_key_are_answered_once(client, crew):
    c = api(client, crew["member"])
    pid = c.post("/api/patrols/", {}, content_type="application/json").json()["id"]
    body = {"points": walk(crew["grids"][G1], 3)}
    first = c.post(f"/api/patrols/{pid}/points/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="pp-1")
    second = c.post(f"/api/patrols/{pid}/points/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="pp-1")
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert PatrolPoint.objects.filter(patrol_id=pid).count() == 3


def test_one_open_patrol_and_bad_points_are_refused_with_reasons(client, crew):
    c = api(client, crew["member"])
    pid = c.post("/api/patrols/", {}, content_type="application/json").json()["id"]
    second = c.post("/api/patrols/", {}, content_type="application/json")
    assert second.status_code == 409 and second.json()["open_patrol"] == pid
    for bad in ({"points": []}, {"points": [[121.4, 31.2]]}, {"points": [[500, 31.2, time.time()]]},
                {"points": [["x", 31.2, time.time()]]}, {"points": "no"}, {}):
        r = c.post(f"/api/patrols/{pid}/points/", bad, content_type="application/json")
        assert r.status_code == 400 and r.json()["detail"], (bad, r.content)
    # A point from yesterday lies outside the patrol's time.
    old = c.post(f"/api/patrols/{pid}/points/", {"points": walk(crew["grids"][G1], 2, t0=int(time.time()) - 86400)},
                 content_type="application/json")
    assert old.status_code == 409 and old.json()["rule"] == "patrol_point_time"
    assert PatrolPoint.objects.filter(patrol_id=pid).count() == 0
    # Someone else cannot add to it (not theirs; out of scope for another grid's member is 404).
    assert api(client, crew["other"]).post(f"/api/patrols/{pid}/points/", {"points": walk(crew["grids"][G1], 2)},
                                           content_type="application/json").status_code == 404
    assert api(client, crew["head"]).post(f"/api/patrols/{pid}/points/", {"points": walk(crew["grids"][G1], 2)},
                                          content_type="application/json").status_code == 400


def test_tracks_are_seen_by_their_member_and_the_grid_head_and_station_chief_only(client, crew):
    pid = api(client, crew["member"]).post("/api/patrols/", {}, content_type="application/json").json()["id"]
    seen = {}
    for who in ("member", "mate", "other", "head", "chief"):
        c = api(client, crew[who])
        seen[who] = ([r["id"] for r in c.get("/api/patrols/").json()["results"]], c.get(f"/api/patrols/{pid}/").status_code)
    assert seen["member"] == ([pid], 200)
    assert seen["head"] == ([pid], 200) and seen["chief"] == ([pid], 200)
    assert seen["mate"] == ([], 404) and seen["other"] == ([], 404)
    # Leaders get patrol hours and distance in coverage, never tracks: the routes refuse them.
    leader = api(client, crew["leader"])
    assert leader.get("/api/patrols/").status_code == 403 and leader.get(f"/api/patrols/{pid}/").status_code == 403
    features = api(client, crew["head"]).get("/api/patrols/geojson/").json()["features"]
    assert [f["id"] for f in features] == [pid]


def test_a_report_made_on_a_patrol_is_tied_to_it(client, crew):
    taxonomy_ensure()
    c = api(client, crew["member"])
    pid = c.post("/api/patrols/", {}, content_type="application/json").json()["id"]
    p = crew["grids"][G1].geometry.point_on_surface
    r = c.post("/api/incidents/", {"lon": p.x, "lat": p.y, "type": "CA03", "description": "垃圾满溢",
                                   "source": "grid_patrol", "patrol": pid}, HTTP_IDEMPOTENCY_KEY="rep-p1")
    assert r.status_code == 201, r.content
    assert PatrolReport.objects.get(patrol_id=pid).incident_id == r.json()["id"]
    assert c.get(f"/api/patrols/{pid}/").json()["properties"]["incidents"][0]["id"] == r.json()["id"]
    # Someone else's patrol cannot be named: the report is refused and nothing is stored.
    other_pid = api(client, crew["mate"]).post("/api/patrols/", {}, content_type="application/json").json()["id"]
    c = api(client, crew["member"])
    bad = c.post("/api/incidents/", {"lon": p.x, "lat": p.y, "type": "CA03", "description": "另一件",
                                     "patrol": other_pid})
    assert bad.status_code == 400 and bad.json()["rule"] == "patrol_unknown"
    assert PatrolReport.objects.count() == 1


def test_coverage_gains_patrol_hours_and_distance_per_grid(client, crew):
    c = api(client, crew["member"])
    pid = c.post("/api/patrols/", {}, content_type="application/json").json()["id"]
    c.post(f"/api/patrols/{pid}/points/", {"points": walk(crew["grids"][G1])}, content_type="application/json")
    c.post(f"/api/patrols/{pid}/end/", {}, content_type="application/json")
    # Pretend it lasted 90 minutes.
    patrol = Patrol.objects.get(pk=pid)
    Patrol.objects.filter(pk=pid).update(started_at=patrol.ended_at - __import__("datetime").timedelta(minutes=90))
    rows = {r["code"]: r for r in api(client, crew["leader"]).get("/api/coverage/?level=4").json()}
    assert rows[G1]["patrols"] == 1 and rows[G1]["patrol_hours"] == 1.5
    assert 0.07 < rows[G1]["patrol_distance_km"] < 0.09
    assert rows[G2]["patrols"] == 0 and rows[G2]["patrol_hours"] == 0
    community = {r["code"]: r for r in api(client, crew["leader"]).get("/api/coverage/?level=3").json()}
    assert community[COMMUNITY]["patrol_hours"] == 1.5
