import pytest
from django.contrib.auth import get_user_model

from layers.grids.selectors import grid_leaf_base_ids
from layers.staff import demo
from layers.staff.models import Assignment, Duty, Role
from layers.staff.scope import scope_for
from layers.staff.selectors import staff_public_list

pytestmark = pytest.mark.django_db


def test_demo_staff_cover_every_micro_grid_and_a_second_run_adds_nothing(demo_grids, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo draws avatars
    demo.load()
    User = get_user_model()
    users = User.objects.count()
    micro = list(grid_leaf_base_ids())
    heads = Assignment.objects.filter(role=Role.GRID_HEAD, grid_id__in=micro)
    assert heads.values("grid_id").distinct().count() == len(micro)
    assert all(User.objects.get(username=f"head-{a.grid.code}") == a.user for a in heads.select_related("grid"))
    members = Assignment.objects.filter(role=Role.GRID_MEMBER)
    assert members.values("grid_id").distinct().count() == len(micro)
    assert all(set(m.duties) <= set(Duty.values) and m.duties for m in members)
    assert Assignment.objects.filter(role=Role.STATION_CHIEF).count() == 11
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="leader").check_password("geogrid-demo")
    assert all(u.last_name for u in User.objects.filter(username__startswith="member-"))
    demo.load()
    assert User.objects.count() == users


def test_scope_and_small_count_rules(demo_grids, make_user):
    street, micro = demo_grids["310106013000"], demo_grids["310106013001001"]
    head = make_user("s-head", Role.GRID_HEAD, micro)
    leader = make_user("s-leader", Role.STREET_LEADER, street)
    assert list(scope_for(head).paths) == [micro.path]
    assert scope_for(head).sees_small_counts
    assert not scope_for(leader).sees_small_counts
    assert staff_public_list(grid_id=micro.pk) == []  # no one consented
