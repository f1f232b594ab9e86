"""The audit log: what is written, who can read it, how long it is kept."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from layers.audit.models import AuditEvent
from layers.audit.services import audit_purge, audit_record
from layers.staff.models import Assignment, Role
from layers.staff.services import assignment_set


def _aged(days):
    e = audit_record(action="login", username=f"aged-{days}")
    AuditEvent.objects.filter(pk=e.pk).update(at=timezone.now() - dt.timedelta(days=days))
    return e


def test_purge_keeps_180_days_and_writes_nothing_without_commit(db):
    young, edge, old = _aged(10), _aged(179), _aged(200)
    assert audit_purge() == 1 and AuditEvent.objects.filter(pk=old.pk).exists()
    assert audit_purge(commit=True) == 1
    left = set(AuditEvent.objects.values_list("pk", flat=True))
    assert {young.pk, edge.pk} <= left and old.pk not in left
    # asking for a shorter retention still keeps 180 days
    assert audit_purge(days=30, commit=True) == 0 and AuditEvent.objects.filter(pk=edge.pk).exists()


def test_purge_command_refuses_fewer_than_180_days(db):
    with pytest.raises(CommandError):
        call_command("audit_purge", "--days", "90", "--commit")
    _aged(400)
    call_command("audit_purge", "--commit")
    assert not AuditEvent.objects.filter(username="aged-400").exists()


def test_role_changes_are_audited(demo_grids, make_user):
    admin = make_user("audit-admin", is_superuser=True, is_staff=True)
    target = make_user("promoted")
    grid = demo_grids["310106013001001"]
    assignment_set(user=target, role=Role.GRID_HEAD, grid=grid, by=admin)
    assignment_set(user=target, role=Role.GRID_HEAD, grid=grid, by=admin)  # no change: no event
    assignment_set(user=target, role=Role.GRID_HEAD, grid=grid, active=False, by=admin)
    events = AuditEvent.objects.filter(action="role_change", detail__subject_user="promoted").order_by("pk")
    assert [e.detail["change"] for e in events] == ["created", "changed"]
    assert events[0].user == admin and events[0].detail["grid"] == grid.code
    # through the admin site too
    c = Client()
    c.force_login(admin)
    a = Assignment.objects.get(user=target)
    r = c.post(f"/admin/staff/assignment/{a.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302 and not Assignment.objects.filter(pk=a.pk).exists()
    assert AuditEvent.objects.filter(action="role_change", detail__change="deleted",
                                     detail__subject_user="promoted", user=admin).count() == 1


def test_only_administrators_read_the_audit_log_and_nobody_edits_it(demo_grids, make_user):
    audit_record(action="login", username="someone")
    staff_not_admin = make_user("staff-planner", Role.PLANNER, demo_grids["310106013000"], is_staff=True)
    # even with every Django permission on the model, a non-administrator is refused
    from django.contrib.auth.models import Permission
    staff_not_admin.user_permissions.set(Permission.objects.filter(content_type__app_label="audit"))
    c = Client()
    c.force_login(staff_not_admin)
    assert c.get("/admin/audit/auditevent/").status_code == 403
    admin = make_user("role-admin", Role.ADMIN, None, is_staff=True)
    c.force_login(admin)
    r = c.get("/admin/audit/auditevent/")
    assert r.status_code == 200 and "someone" in r.content.decode()
    e = AuditEvent.objects.get(username="someone")
    r = c.post(f"/admin/audit/auditevent/{e.pk}/change/", {"username": "changed"})
    assert r.status_code == 403
    assert c.post(f"/admin/audit/auditevent/{e.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=e.pk).username == "someone"


def test_login_and_logout_are_audited(make_user):
    u = make_user("audited")
    c = Client()
    assert c.post("/accounts/login/", {"username": "audited", "password": "pw-audited"}).status_code == 302
    c.post("/accounts/logout/")
    actions = list(AuditEvent.objects.filter(username="audited").order_by("pk").values_list("action", flat=True))
    assert actions == ["login", "logout"]
    assert AuditEvent.objects.filter(username="audited", action="login", user=u, ip_address="127.0.0.1").exists()
