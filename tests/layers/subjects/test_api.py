"""Scope and sensitive values through every route: list, detail, export, reveal, coverage."""
import pytest

from layers.subjects.models import RevealLog

from tests.support import G1, ID_NUMBER, PHONE

pytestmark = pytest.mark.django_db


def test_grid_member_sees_only_their_grids_subjects_on_every_route(world, client_for):
    c = client_for(world["users"]["member"])
    s1, s2, s3 = world["s1"], world["s2"], world["s3"]
    listed = c.get("/api/subjects/").json()
    assert [r["id"] for r in listed] == [s1.pk]
    assert c.get(f"/api/subjects/{s1.pk}/").status_code == 200
    for other in (s2, s3):
        assert c.get(f"/api/subjects/{other.pk}/").status_code == 404
        assert c.post(f"/api/subjects/{other.pk}/reveal/", {"fields": ["phone"]},
                      content_type="application/json").status_code == 404
    export = c.get("/api/subjects/export/").content.decode("utf-8-sig")
    assert "测试甲" in export and "测试乙" not in export and "测试丙" not in export
    coverage = c.get("/api/coverage/?level=4").json()
    assert [r["code"] for r in coverage] == [G1]
    assert c.get("/api/coverage/?level=3").json() == []
    assert not RevealLog.objects.exists()


def test_lists_and_exports_mask_sensitive_values(world, client_for):
    c = client_for(world["users"]["member"])
    row = c.get("/api/subjects/").json()[0]
    assert row["phone"] == "139****5678" and row["id_number"] == "3101**********1234"
    assert row["ethnicity"] == "***" and row["religion"] == "***"
    detail = c.get(f"/api/subjects/{world['s1'].pk}/").content.decode()
    export = c.get("/api/subjects/export/").content.decode("utf-8-sig")
    for text in (detail, export):
        assert PHONE not in text and ID_NUMBER not in text and "回族" not in text
    assert "139****5678" in export


def test_reveal_returns_full_values_and_every_reveal_is_logged(world, client_for):
    user, s1 = world["users"]["member"], world["s1"]
    c = client_for(user)
    r = c.post(f"/api/subjects/{s1.pk}/reveal/", {"fields": ["phone", "id_number"]}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["fields"] == {"phone": PHONE, "id_number": ID_NUMBER}
    r = c.post(f"/api/subjects/{s1.pk}/reveal/", {"fields": ["ethnicity"]}, content_type="application/json")
    assert r.json()["fields"] == {"ethnicity": "回族"}
    logs = list(RevealLog.objects.order_by("at", "id").values_list("user_id", "subject_id", "fields"))
    assert logs == [(user.pk, s1.pk, ["id_number", "phone"]), (user.pk, s1.pk, ["ethnicity"])]
    own = c.get("/api/reveal-log/").json()
    assert len(own) == 2 and own[0]["user"] == user.username


def test_reveal_refuses_non_sensitive_or_unknown_fields_without_logging(world, client_for):
    c = client_for(world["users"]["member"])
    for body in ({"fields": ["name"]}, {"fields": []}, {}, {"fields": "phone"}):
        r = c.post(f"/api/subjects/{world['s1'].pk}/reveal/", body, content_type="application/json")
        assert r.status_code == 400, body
        assert r.json()["rule"] == "reveal_fields"
    assert not RevealLog.objects.exists()


def test_station_chief_reveals_within_the_community_only(world, client_for):
    c = client_for(world["users"]["chief"])
    assert c.post(f"/api/subjects/{world['s2'].pk}/reveal/", {"fields": ["phone"]},
                  content_type="application/json").json()["fields"] == {"phone": "13800001111"}
    assert c.post(f"/api/subjects/{world['s3'].pk}/reveal/", {"fields": ["phone"]},
                  content_type="application/json").status_code == 404


def test_street_leader_sees_street_coverage_but_no_sensitive_value(world, client_for):
    c = client_for(world["users"]["leader"])
    coverage = c.get("/api/coverage/?level=4").json()
    assert len(coverage) == len([g for g in world["grids"].values() if g.level == 4 and g.kind == "base"])
    # Aggregates only: no per-person rows, no export of people, no visit notes (access table).
    for url in ("/api/subjects/", "/api/subjects/export/", f"/api/subjects/{world['s1'].pk}/", "/api/visits/",
                "/api/visits/due/", "/subjects/"):
        r = c.get(url)
        assert r.status_code == 403, url
        body = r.content.decode("utf-8-sig")
        assert "测试甲" not in body and PHONE not in body and ID_NUMBER not in body and "回族" not in body
    for s in ("s1", "s2", "s3"):
        r = c.post(f"/api/subjects/{world[s].pk}/reveal/", {"fields": ["phone"]}, content_type="application/json")
        assert r.status_code == 403
        assert PHONE not in r.content.decode()
    assert not RevealLog.objects.exists()


def test_planner_and_superuser_cannot_reveal(world, client_for, make_user):
    boss = make_user("t-root", is_superuser=True, is_staff=True)
    for user in (world["users"]["planner"], boss):
        r = client_for(user).post(f"/api/subjects/{world['s1'].pk}/reveal/", {"fields": ["phone"]},
                                  content_type="application/json")
        assert r.status_code == 403
    assert not RevealLog.objects.exists()


def test_anonymous_gets_nothing(world, client):
    assert client.get("/api/subjects/").status_code in (401, 403)
    assert client.get("/api/coverage/?level=4").status_code in (401, 403)
    assert client.post(f"/api/subjects/{world['s1'].pk}/reveal/", {"fields": ["phone"]},
                       content_type="application/json").status_code in (401, 403)


def test_admin_pages_never_show_sensitive_values(world, client_for, make_user):
    boss = make_user("t-boss", is_superuser=True, is_staff=True)
    c = client_for(boss)
    html = c.get(f"/admin/subjects/subject/{world['s1'].pk}/change/").content.decode()
    assert "测试甲" in html and PHONE not in html and ID_NUMBER not in html and "回族" not in html
    assert c.get("/admin/subjects/subject/").status_code == 200


def test_field_staff_add_subjects_in_their_grids_only(world, client_for):
    from layers.subjects.models import Subject
    from tests.support import G2
    c = client_for(world["users"]["member"])
    body = {"address": world["addr"][G1].pk, "name": "新对象", "category": "hk_macao_taiwan", "phone": "13600001234"}
    r = c.post("/api/subjects/", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["phone"] == "136****1234" and r.json()["grid"] == world["grids"][G1].pk
    assert Subject.objects.get(pk=r.json()["id"]).phone == "13600001234"
    r = c.post("/api/subjects/", {**body, "address": world["addr"][G2].pk}, content_type="application/json")
    assert r.status_code == 400 and r.json()["rule"] == "address_out_of_scope"
    r = client_for(world["users"]["leader"]).post("/api/subjects/", body, content_type="application/json")
    assert r.status_code == 403
    c = client_for(world["users"]["member"])  # client_for logs the one test client in again
    assert c.post("/api/subjects/", {**body, "category": "spy"}, content_type="application/json").status_code == 400


def test_staff_api_lists_assignments_in_scope(world, client_for):
    rows = client_for(world["users"]["chief"]).get("/api/staff/").json()
    assert {r["username"] for r in rows} == {"t-member", "t-head2", "t-chief"}
    me = client_for(world["users"]["member"]).get("/api/me/").json()
    assert me["roles"] == ["grid_member"]
