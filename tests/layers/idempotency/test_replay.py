"""Idempotency-Key on the writes a phone may replay: visits, transitions (patrol points have their
own tests in tests/layers/patrols)."""
import pytest

from layers.addresses.services import address_create
from layers.idempotency.models import IdempotencyRecord
from layers.incidents.models import Incident, IncidentEvent
from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure
from layers.staff.models import Role
from layers.subjects.models import Visit
from layers.subjects.services import subject_create

G1 = "310106013001001"

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_grids, make_user):
    """A subject in G1, a member of G1 and a grid head (of another grid until a test assigns G1)."""
    g = demo_grids[G1]
    p = g.geometry.point_on_surface
    address = address_create(full_text="静安区幂等测试路1号", lon=p.x, lat=p.y, households=5)
    s1 = subject_create(address=address, name="测试甲", category="other")
    users = {"member": make_user("idem-member", Role.GRID_MEMBER, g),
             "head2": make_user("idem-head", Role.GRID_HEAD, demo_grids["310106013001002"])}
    return {"grids": demo_grids, "s1": s1, "users": users}


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_a_replayed_visit_is_stored_once_and_answered_with_the_first_answer(world, client_for):
    c = client_for(world["users"]["member"])
    body = {"subject": world["s1"].pk, "date": "2026-01-05", "kind": "illness", "notes": "住院"}
    first = c.post("/api/visits/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="visit-k1")
    again = c.post("/api/visits/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="visit-k1")
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Visit.objects.filter(subject=world["s1"]).count() == 1
    # A new key is a new visit.
    c.post("/api/visits/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="visit-k2")
    assert Visit.objects.filter(subject=world["s1"]).count() == 2


def test_the_same_key_with_another_body_is_refused_and_nothing_is_written(world, client_for):
    c = client_for(world["users"]["member"])
    body = {"subject": world["s1"].pk, "date": "2026-01-05", "kind": "illness"}
    c.post("/api/visits/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="visit-k3")
    other = c.post("/api/visits/", {**body, "kind": "death"}, content_type="application/json",
                   HTTP_IDEMPOTENCY_KEY="visit-k3")
    assert other.status_code == 422 and other.json()["rule"] == "idempotency_key_reused"
    assert Visit.objects.filter(subject=world["s1"]).count() == 1


def test_a_refused_write_keeps_no_key(world, client_for):
    c = client_for(world["users"]["member"])
    bad = c.post("/api/visits/", {"subject": world["s1"].pk, "date": "2026-01-05", "kind": "party"},
                 content_type="application/json", HTTP_IDEMPOTENCY_KEY="visit-bad")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="visit-bad").exists()


def test_a_replayed_transition_moves_the_case_once(world, client_for):
    taxonomy_ensure()
    head = world["users"]["head2"]
    from layers.staff.models import Assignment
    Assignment.objects.create(user=head, role=Role.GRID_HEAD, grid=world["grids"][G1])
    p = world["grids"][G1].geometry.point_on_surface
    incident = incident_create(lon=p.x, lat=p.y, description="井盖缺失", type="PF01")
    c = client_for(head)
    first = c.post(f"/api/incidents/{incident.pk}/transition/", {"to": "accepted"},
                   content_type="application/json", HTTP_IDEMPOTENCY_KEY="tr-1")
    again = c.post(f"/api/incidents/{incident.pk}/transition/", {"to": "accepted"},
                   content_type="application/json", HTTP_IDEMPOTENCY_KEY="tr-1")
    assert first.status_code == 200 and again.status_code == 200, again.content
    assert Incident.objects.get(pk=incident.pk).status == "accepted"
    assert IncidentEvent.objects.filter(incident=incident, kind="transition").count() == 1
    # Without the key the second accept is the illegal step it is.
    assert c.post(f"/api/incidents/{incident.pk}/transition/", {"to": "accepted"},
                  content_type="application/json").status_code == 400
