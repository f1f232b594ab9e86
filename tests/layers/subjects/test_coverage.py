import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.staff.scope import scope_for
from layers.subjects.selectors import coverage_list
from layers.subjects.services import subject_create, visit_create

from tests.support import COMMUNITY, G1, G2, G3

pytestmark = pytest.mark.django_db


def by_code(rows):
    return {r["code"]: r for r in rows}


def test_coverage_flags_grids_outside_the_household_band(world):
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["households"] == 600 and "households_above_band" in rows[G1]["flags"]
    assert rows[G2]["households"] == 250
    assert not {"households_above_band", "households_below_band"} & set(rows[G2]["flags"])
    assert "households_below_band" in rows[G3]["flags"]
    community = by_code(coverage_list(user=world["users"]["leader"], level=3))[COMMUNITY]
    assert community["households"] == 850 and community["addresses"] == 2
    assert "households_below_band" in community["flags"]


def test_coverage_counts_staff_subjects_and_flags_grids_without_staff(world):
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["staff"] == 1 and rows[G1]["households_per_staff"] == 600
    assert rows[G1]["subjects"] == "<10"
    no_staff = [r for r in rows.values() if r["staff"] == 0]
    assert no_staff and all("no_staff" in r["flags"] for r in no_staff)
    assert all("no_staff" not in rows[c]["flags"] for c in (G1, G2))
    # The community row counts its station chief and the staff of its micro-grids.
    community = by_code(coverage_list(user=world["users"]["leader"], level=3))[COMMUNITY]
    assert community["staff"] == 3 and community["subjects"] == 2  # two categories: total shown


def test_small_category_counts_are_coarsened_above_the_grid_head(world):
    leader_rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert leader_rows[G1]["subjects_by_category"]["ethnic_minority"] == "<10"
    assert leader_rows[G1]["subjects_by_category"]["other"] == 0
    chief_rows = by_code(coverage_list(user=world["users"]["chief"], level=4))
    assert chief_rows[G2]["subjects_by_category"]["religious_figure"] == "<10"
    member_rows = by_code(coverage_list(user=world["users"]["member"], level=4))
    assert member_rows[G1]["subjects_by_category"]["ethnic_minority"] == 1
    assert member_rows[G1]["subjects"] == 1


def test_a_total_that_would_give_away_a_lone_category_is_coarsened_too(world):
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["subjects"] == "<10"  # only one ethnic-minority subject there
    subject_create(address=world["addr"][G1], name="另一类", category="other")
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G1]["subjects"] == 2
    assert rows[G1]["subjects_by_category"]["other"] == "<10"


def test_ten_or_more_are_shown_exactly(world):
    for i in range(10):
        subject_create(address=world["addr"][G2], name=f"批量{i}", category="new_social_stratum")
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4))
    assert rows[G2]["subjects_by_category"]["new_social_stratum"] == 10


def test_visited_within_cadence_is_the_share_of_subjects_seen_in_time(world):
    today = dt.date(2026, 6, 1)
    s1, s2 = world["s1"], world["s2"]
    member = world["users"]["member"]
    visit_create(subject=s1, staff=member, date=today - dt.timedelta(days=30))   # ethnic minority: 90 days
    visit_create(subject=s2, staff=member, date=today - dt.timedelta(days=70))   # religious figure: 60 days
    rows = by_code(coverage_list(user=world["users"]["leader"], level=4, today=today))
    assert rows[G1]["visited_within_cadence"] == 1.0
    assert rows[G2]["visited_within_cadence"] == 0.0
    community = by_code(coverage_list(user=world["users"]["leader"], level=3, today=today))[COMMUNITY]
    assert community["visited_within_cadence"] == 0.5


def test_coverage_takes_a_constant_number_of_queries(world):
    leader = world["users"]["leader"]
    scope_for(leader)  # built once per request, before any selector runs
    with CaptureQueriesContext(connection) as few:
        coverage_list(user=leader, level=3)
    with CaptureQueriesContext(connection) as many:
        rows = coverage_list(user=leader, level=4)
    assert len(rows) > 30
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


def test_coverage_api_needs_a_level(world, client_for):
    c = client_for(world["users"]["leader"])
    assert c.get("/api/coverage/").status_code == 400
    assert c.get("/api/coverage/?level=x").status_code == 400
    row = c.get("/api/coverage/?level=4").json()[0]
    for key in ("grid_id", "code", "name", "households", "addresses", "subjects", "subjects_by_category", "staff",
                "households_per_staff", "visited_within_cadence", "open_incidents", "overdue_incidents", "flags"):
        assert key in row
