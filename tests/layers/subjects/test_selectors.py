"""Subjects reads in the acting user's scope: the reveal log, special-grid figures."""
import pytest

from layers.addresses import demo as addresses_demo
from layers.staff.models import Role
from layers.subjects import demo as subjects_demo
from layers.subjects import selectors
from layers.subjects.models import Subject
from layers.subjects.services import subject_reveal

from tests.support import STREET_CODE

pytestmark = pytest.mark.django_db


def test_reveal_log_shows_administrators_everything_and_others_their_own(world, make_user):
    s1, member = world["s1"], world["users"]["member"]
    chief = world["users"]["chief"]
    subject_reveal(user=member, subject=s1, fields=["phone"])
    subject_reveal(user=chief, subject=s1, fields=["id_number"])
    assert [r.user for r in selectors.reveal_log_list(user=member)] == [member]
    assert {r.user for r in selectors.reveal_log_list(user=make_user("rl-admin", is_superuser=True))} == {member, chief}
    assert not selectors.reveal_log_list(user=world["users"]["leader"]).exists()
    assert selectors.reveal_log_list(user=chief, subject_id=world["s2"].pk).count() == 0


def test_special_subject_counts_stay_inside_the_users_scope(demo_grids, make_user):
    addresses_demo.load()
    subjects_demo.load()
    street = make_user("maps-street", Role.STREET_LEADER, demo_grids[STREET_CODE])
    district = next(g for g in demo_grids.values() if g.kind == "business_district")
    every = selectors.special_grid_figures(user=street, ids=[district.pk])[district.pk]
    total = Subject.objects.filter(address__special_links__grid=district).count()
    assert total >= 10
    # A street leader reads the count in its band of ten, like the coverage figures.
    assert every["subjects"] == f"{total // 10 * 10}-{total // 10 * 10 + 9}"
    # A grid head sees only the subjects of their own micro-grid counted.
    micro = Subject.objects.filter(address__special_links__grid=district).values_list("grid__code", flat=True)[0]
    head = make_user("maps-special-head", Role.GRID_HEAD, demo_grids[micro])
    own = selectors.special_grid_figures(user=head, ids=[district.pk])[district.pk]
    assert own["subjects"] == Subject.objects.filter(address__special_links__grid=district, grid__code=micro).count()
    assert own["subjects"] < total
