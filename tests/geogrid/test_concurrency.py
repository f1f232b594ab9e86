"""Randomized parallel writes through the HTTP API: publishes of competing plans, splits in one
draft, workflow transitions and ratings, all at once from threads (real PostgreSQL sessions).
Checked afterwards against what the database kept: no server error, and no edit lost (every
answer that said "done" is in the data, every refusal left nothing behind).

The seed is random per run and printed in any failure; GEOGRID_FUZZ_SEED replays one."""
import os
import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from layers.grids.models import Grid
from layers.incidents.models import EventKind, Incident, Rating, Status
from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure
from layers.plans.models import Plan
from layers.plans.services import plan_create, plan_update_grid

from tests.support import crossing_line

AREA, AREA2 = "310106013001", "310106013002"
GRID_A = "310106013001001"


def _call(user, method, url, data, barrier):
    try:
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait(timeout=60)
        r = getattr(client, method)(url, data, format="json")
        return r.status_code, (r.json() if r.get("Content-Type", "").startswith("application/json") else None)
    finally:
        connection.close()  # each thread's own session


@pytest.mark.django_db(transaction=True)
def test_parallel_publishes_splits_transitions_and_ratings_lose_nothing(demo_grids, make_user):
    seed = int(os.environ.get("GEOGRID_FUZZ_SEED") or random.SystemRandom().randrange(10**6))
    rnd = random.Random(seed)
    why = f"(seed {seed}; replay with GEOGRID_FUZZ_SEED={seed})"
    taxonomy_ensure()
    street = demo_grids["310106013000"]
    planner = make_user("并发规划员", "planner", street)
    head = make_user("并发网格长", "grid_head", demo_grids[GRID_A])
    members = [make_user(f"并发网格员{i}", "grid_member", demo_grids[GRID_A]) for i in range(2)]

    # Competing plans on one parent: each renames the same grid (some also split one); only the
    # first publish may win, the others must be refused because the grids changed under them.
    competing = []
    for i in range(rnd.randint(2, 4)):
        plan = plan_create(parent=demo_grids[AREA], user=planner)
        first = plan.grids.order_by("source_grid_id").first()
        plan_update_grid(plan=plan, grid=first, name=f"并发改名{i}")
        competing.append(plan)
    # One draft on another parent where several splits of different grids arrive at once.
    draft = plan_create(parent=demo_grids[AREA2], user=planner)
    split_targets = list(draft.grids.order_by("pk"))[:rnd.randint(2, 3)]
    grids_before_split = draft.grids.count()
    # Cases to move along the workflow and to rate.
    p = demo_grids[GRID_A].geometry.point_on_surface
    cases = [incident_create(lon=p.x, lat=p.y, description=f"并发事件{i}", type="CA01") for i in range(3)]
    rated = [incident_create(lon=p.x, lat=p.y, description=f"待评价{i}", type="CA01") for i in range(2)]
    Incident.objects.filter(pk__in=[c.pk for c in rated]).update(status=Status.RESOLVED)

    jobs = []
    for plan in competing:
        jobs.append(("publish", plan.pk, planner, "post", f"/api/plans/{plan.pk}/publish/", {}))
    for pg in split_targets:
        jobs.append(("split", pg.pk, planner, "post", f"/api/plans/{draft.pk}/split/",
                     {"grid": pg.pk, "line": crossing_line(pg)}))
    for _ in range(rnd.randint(6, 10)):
        case = rnd.choice(cases)
        jobs.append(("transition", case.pk, head, "post", f"/api/incidents/{case.pk}/transition/",
                     {"to": rnd.choice([Status.ACCEPTED, Status.REJECTED, Status.DISPATCHED, Status.SHELVED])}))
    for case in rated:
        for user in [head, *members]:
            for _ in range(rnd.randint(2, 3)):  # the same person, several times at once
                jobs.append(("rating", (case.pk, user.pk), user, "post", f"/api/incidents/{case.pk}/rating/",
                             {"score": rnd.randint(1, 5)}))
    rnd.shuffle(jobs)

    barrier = threading.Barrier(len(jobs))
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(_call, user, method, url, data, barrier) for _, _, user, method, url, data in jobs]
        results = [(job[0], job[1], job[5], *f.result()) for job, f in zip(jobs, futures)]

    codes = Counter(code for _, _, _, code, _ in results)
    assert not [r for r in results if r[3] >= 500], f"server errors {why}: {[r for r in results if r[3] >= 500]}"

    # Publishes: exactly one winner; its rename is what the grid is called now; losers are 409
    # and still drafts.
    pubs = [(key, code) for kind, key, _, code, _ in results if kind == "publish"]
    winners = [key for key, code in pubs if code == 200]
    assert len(winners) == 1, f"publish answers {pubs} {why}"
    assert all(code == 409 for key, code in pubs if key not in winners), f"{pubs} {why}"
    winner = next(pl for pl in competing if pl.pk == winners[0])
    renamed = Plan.objects.get(pk=winner.pk).grids.get(name__startswith="并发改名")
    assert Grid.objects.filter(pk=renamed.source_grid_id, valid_to__isnull=True).values_list("name", flat=True).get() \
        == renamed.name, why
    assert Plan.objects.filter(pk__in=[pl.pk for pl in competing if pl.pk not in winners], status="draft").count() \
        == len(competing) - 1, why

    # Splits: every split answered 200 added one grid to the draft.
    split_ok = sum(1 for kind, _, _, code, _ in results if kind == "split" and code == 200)
    assert split_ok == len(split_targets), f"{[r for r in results if r[0] == 'split']} {why}"
    assert Plan.objects.get(pk=draft.pk).grids.count() == grids_before_split + split_ok, why

    # Transitions: each 200 is one logged step, the steps chain, and the case ends where the last went.
    for case in cases:
        ok = [r for r in results if r[0] == "transition" and r[1] == case.pk and r[3] == 200]
        events = list(case.events.filter(kind=EventKind.TRANSITION).order_by("pk"))
        assert len(events) == len(ok), f"case {case.pk}: {len(ok)} answers, {len(events)} events {why}"
        status = Status.REPORTED
        for e in events:
            assert e.from_status == status, f"case {case.pk}: lost update {e.from_status} after {status} {why}"
            status = e.to_status
        assert Incident.objects.get(pk=case.pk).status == status, why
        assert all(r[3] in (200, 400, 409) for r in results if r[0] == "transition"), why

    # Ratings: one per person and case; every other attempt was a clear 400.
    per = defaultdict(list)
    for kind, key, _, code, body in results:
        if kind == "rating":
            per[key].append(code)
    for (case_pk, user_pk), answers in per.items():
        assert sorted(answers) == [201] + [400] * (len(answers) - 1), f"{case_pk}/{user_pk}: {answers} {why}"
        assert Rating.objects.filter(incident_id=case_pk, rated_by_id=user_pk).count() == 1, why
    assert codes[201] == len(per), why
