"""The party network's API: raise by POST, follow by GET, both scoped to the party subtree; the
administrative side sees the origin in the incident detail; the overview shows either network."""
import json

from layers.grids.locate import locate
from layers.staff.models import Role


def _post(client, body, **headers):
    return client.post("/api/networks/party/matters/", json.dumps(body), content_type="application/json", **headers)


def test_raise_follow_and_see_the_origin_from_both_sides(client, party, make_user, taxonomy):
    group, micro = party["groups"][0]
    leader = make_user("pgl", Role.PARTY_GROUP_LEADER, group)
    client.force_login(leader)
    p = micro[1].geometry.point_on_surface
    body = {"grid": group.pk, "lon": p.x, "lat": p.y, "type": "PF01", "description": "电动车楼道充电",
            "note": "党小组议定请网格劝导"}
    r = _post(client, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert r.status_code == 201, r.content
    m = r.json()
    assert m["handed_to"]["id"] == micro[1].pk == locate(lon=p.x, lat=p.y).grid["id"]
    assert m["origin"]["grid"]["code"] == group.code and m["origin"]["network"] == "party"
    assert m["source"] == "party_grid" and "党小组议定请网格劝导" in m["description"]
    # A replay of the same key answers the same matter.
    again = _post(client, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json()["id"] == m["id"]
    listed = client.get("/api/networks/party/matters/").json()
    assert [x["id"] for x in listed["results"]] == [m["id"]]
    detail = client.get(f"/api/networks/party/matters/{m['id']}/").json()
    assert [e["kind"] for e in detail["events"]] == ["created"]
    # The party role reads no incident routes.
    assert client.get("/api/incidents/").status_code == 403
    assert client.get(f"/api/incidents/{m['id']}/").status_code == 403
    # The administrative side: the case is theirs, with its origin.
    head = make_user("head-1", Role.GRID_HEAD, micro[1])
    client.force_login(head)
    d = client.get(f"/api/incidents/{m['id']}/").json()
    assert d["grid"]["id"] == micro[1].pk and d["source"] == "party_grid"
    assert d["origin"]["grid"]["code"] == group.code
    assert d["events"][0]["data"]["origin"]["grid"] == group.code
    # ... and the head of another micro-grid does not see it (404 out of scope).
    other = make_user("head-2", Role.GRID_HEAD, micro[0])
    client.force_login(other)
    assert client.get(f"/api/incidents/{m['id']}/").status_code == 404
    assert client.get(f"/api/networks/party/matters/{m['id']}/").status_code == 403


def test_bad_input_and_out_of_scope_party_grids(client, party, make_user, taxonomy):
    (group, micro), (other_group, _other_micro) = party["groups"][0], party["groups"][1]
    client.force_login(make_user("pgl", Role.PARTY_GROUP_LEADER, group))
    p = micro[0].geometry.point_on_surface
    ok = {"grid": group.pk, "lon": p.x, "lat": p.y, "type": "PF01", "description": "x"}
    assert _post(client, {**ok, "grid": other_group.pk}).status_code == 404
    assert _post(client, {**ok, "grid": "abc"}).status_code == 400
    r = _post(client, {**ok, "lon": None})
    assert r.status_code == 400 and r.json()["rule"] == "location_required"
    r = _post(client, {**ok, "description": "  "})
    assert r.status_code == 400 and r.json()["rule"] == "description_required"
    r = _post(client, {**ok, "lon": "east"})
    assert r.status_code == 400
    # The generic intake refuses the party source without its origin.
    client.force_login(make_user("hotline"))
    r = client.post("/api/incidents/", json.dumps({"lon": p.x, "lat": p.y, "type": "PF01", "description": "x",
                                                   "source": "party_grid"}), content_type="application/json")
    assert r.status_code == 400 and r.json()["rule"] == "origin_required"


def test_the_overview_shows_either_network(client, party, make_user, taxonomy, demo_grids):
    from layers.networks.services import party_matter_raise

    group, micro = party["groups"][0]
    leader = make_user("pgl", Role.PARTY_GROUP_LEADER, group)
    p = micro[0].geometry.point_on_surface
    party_matter_raise(user=leader, grid=group, lon=p.x, lat=p.y, crs="cgcs2000", description="x", type="PF01")
    street_leader = make_user("street", Role.STREET_LEADER, demo_grids["310106013000"])
    client.force_login(street_leader)
    base = client.get("/api/overview/?level=4")
    assert client.get("/api/overview/?level=4&network=base").json() == base.json()
    assert "network" not in base.json() and base.json()["count"] == 37
    party_rows = client.get("/api/overview/?level=4&network=party").json()
    assert party_rows["network"] == "party"
    rows = {r["grid"]["code"]: r for r in party_rows["rows"]}
    assert set(rows) == {g.code for g, _m in party["groups"]}
    assert rows[group.code]["raised"] == 1 and rows[group.code]["received"] == 1 and rows[group.code]["open"] == 1
    assert sum(r["raised"] for r in rows.values()) == 1
    assert client.get("/api/overview/?level=4&network=mars").status_code == 400
    # Rows keep the base rows' keys (sorting and exports read them), plus the raised counts.
    assert set(base.json()["rows"][0]) <= set(party_rows["rows"][0])
    csv = client.get("/api/overview/?level=4&network=party&format=csv")
    assert csv.status_code == 200
    text = b"".join(csv).decode("utf-8-sig") if csv.streaming else csv.content.decode("utf-8-sig")
    assert group.code in text and "党建网格提出事项" in text
    page = client.get("/overview/?network=party")
    assert page.status_code == 200 and "党小组" in page.content.decode()
    # The party-group leader's own overview: their group, their matter, no other case counted.
    client.force_login(leader)
    mine = client.get("/api/overview/?level=4&network=party").json()["rows"]
    assert [(r["grid"]["code"], r["raised"], r["open"]) for r in mine] == [(group.code, 1, 0)]
    assert client.get("/api/overview/?level=4").json()["rows"] == []
