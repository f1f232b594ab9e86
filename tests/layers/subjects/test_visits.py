import datetime as dt

import pytest
from django.conf import settings
from django.db import connection

from layers.grids.hooks import boundaries_changed
from layers.subjects.models import Subject
from layers.subjects.selectors import visit_due_list
from layers.subjects.services import visit_create

from tests.support import G1, G3

pytestmark = pytest.mark.django_db


def test_due_and_overdue_visits_follow_the_category_cadence(world):
    today = dt.date.today()
    member, s1 = world["users"]["member"], world["s1"]
    visit_create(subject=s1, staff=member, date=today - dt.timedelta(days=100), kind="festival")
    due = visit_due_list(user=member, within_days=14)
    assert [r["subject_id"] for r in due] == [s1.pk]
    assert due[0]["overdue"] and due[0]["days_overdue"] == 10 and due[0]["cadence_days"] == 90
    visit_create(subject=s1, staff=member, date=today - dt.timedelta(days=10))
    assert visit_due_list(user=member, within_days=14) == []
    assert [r["subject_id"] for r in visit_due_list(user=member, within_days=85)] == [s1.pk]


def test_due_list_is_scoped(world, client_for):
    # Never-visited subjects fall due one cadence after they were recorded.
    rows = client_for(world["users"]["member"]).get("/api/visits/due/?within=365").json()["results"]
    assert [r["subject_id"] for r in rows] == [world["s1"].pk]


def test_field_staff_record_visits_in_scope_only(world, client_for):
    c = client_for(world["users"]["member"])
    ok = c.post("/api/visits/", {"subject": world["s1"].pk, "date": "2026-01-05", "kind": "illness"},
                content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert c.post("/api/visits/", {"subject": world["s3"].pk, "date": "2026-01-05"},
                  content_type="application/json").status_code == 404
    assert c.post("/api/visits/", {"subject": world["s1"].pk, "date": "2026-01-05", "kind": "party"},
                  content_type="application/json").status_code == 400
    assert [v["kind"] for v in c.get(f"/api/visits/?subject={world['s1'].pk}").json()] == ["illness"]
    leader = client_for(world["users"]["leader"])
    assert leader.post("/api/visits/", {"subject": world["s1"].pk, "date": "2026-01-05"},
                       content_type="application/json").status_code == 403


def test_subjects_follow_their_address_after_a_boundary_change(world):
    s1, g3 = world["s1"], world["grids"][G3]
    # The address now lies in G3 (as if G3's boundary had grown over it); the addresses layer's
    # hook re-assigns it, then the subjects hook must follow it.
    p = g3.geometry.point_on_surface
    with connection.cursor() as cur:
        cur.execute("UPDATE addresses_address SET geometry = ST_SetSRID(ST_MakePoint(%s, %s), %s) WHERE id = %s",
                    [p.x, p.y, settings.GEOGRID_SRID, s1.address_id])
    boundaries_changed(grid_ids=[world["grids"][G1].pk, g3.pk], area=world["grids"][G1].geometry.union(g3.geometry))
    assert Subject.objects.get(pk=s1.pk).grid_id == g3.pk
