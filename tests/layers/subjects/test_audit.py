"""Reveals and exports of people leave an audit event naming who, what and how many."""
from layers.audit.models import AuditEvent


def test_reveal_writes_an_audit_event(world, client_for):
    c = client_for(world["users"]["member"])
    s1 = world["s1"]
    r = c.post(f"/api/subjects/{s1.pk}/reveal/", {"fields": ["phone"]}, content_type="application/json")
    assert r.status_code == 200
    e = AuditEvent.objects.get(action="reveal")
    assert (e.user, e.target_type, e.target_id, e.detail["fields"]) == (
        world["users"]["member"], "subjects.Subject", str(s1.pk), ["phone"])


def test_refused_reveal_writes_no_reveal_event(world, client_for):
    c = client_for(world["users"]["head2"])
    r = c.post(f"/api/subjects/{world['s1'].pk}/reveal/", {"fields": ["phone"]}, content_type="application/json")
    assert r.status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_export_writes_an_audit_event_with_the_row_count(world, client_for):
    c = client_for(world["users"]["chief"])
    r = c.get("/api/subjects/export/")
    assert r.status_code == 200
    rows = r.content.decode("utf-8-sig").strip().splitlines()[1:]
    e = AuditEvent.objects.get(action="export", target_type="subjects.Subject")
    assert e.user == world["users"]["chief"] and e.detail["rows"] == len(rows) == 2
