"""The web tier is stateless: two gunicorn instances (geogrid/gunicorn.conf.py, production
settings, different ports) against one database serve the same users as one.

- a plan published through instance A is answered by instance B's in-process locator at once
  (the locate index checks the state token in grids_gridstate on every request);
- a session opened on A is valid on B (sessions in the database);
- a rate limit counts the requests of both instances (counters in the database cache);
- an offline replay with the same Idempotency-Key on the other instance is answered once.

Also: docker-compose.yml (not run here: no Docker) loads as YAML and has the web replicas behind
a proxy, a read replica and the Dask scheduler and workers."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import requests
import shapely
import yaml
from django.db import connection

from layers.patrols.models import Patrol
from layers.staff.models import Role

from tests.support import crossing_line

ROOT = Path(__file__).resolve().parents[2]
PORTS = (8180, 8181)
AREA, GRID = "310106013001", "310106013001001"
PASSWORD = "Tier-test-pass-9"


def _env() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geogrid.settings.production", "SECURE_COOKIES": "0",
           "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2", "GEOGRID_RATE_PUBLIC": "4/m"}
    name = connection.settings_dict["NAME"]   # the test database
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = urlunparse(urlparse(env["DATABASE_URL"])._replace(path="/" + name))
    else:
        env["GEOGRID_DB_NAME"] = name
    return env


def _wait(url: str, server, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(url + "/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


@pytest.fixture
def tier(transactional_db):
    """Two instances, A and B; yields their base URLs."""
    servers, urls = [], []
    try:
        for port in PORTS:
            servers.append(subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "geogrid" / "gunicorn.conf.py"),
                 "geogrid.wsgi", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                cwd=ROOT, env=_env(), start_new_session=True))
            urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(urls, servers):
            _wait(url, server)
        yield urls
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)


def _login(url: str, user) -> requests.Session:
    s = requests.Session()
    page = s.get(url + "/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(url + "/accounts/login/", data={"username": user.username, "password": PASSWORD,
                                               "csrfmiddlewaretoken": token},
               headers={"Referer": url + "/accounts/login/"}, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text[:500]
    assert "sessionid" in s.cookies
    return s


def _on(session: requests.Session, url: str) -> requests.Session:
    """The same cookies (session, CSRF) sent to another instance."""
    other = requests.Session()
    for c in session.cookies:
        other.cookies.set(c.name, c.value)
    other.headers["X-CSRFToken"] = session.cookies.get("csrftoken", "")
    other.headers["Referer"] = url + "/"
    return other


def _user(make_user, name, role, grid):
    """A user whose password the servers' production hashers read (the tests' settings hash with
    MD5, which production does not accept)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = make_user(name, role, grid)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save()
    return user


def test_two_instances_share_plans_sessions_rate_limits_and_idempotency(tier, demo_grids, make_user):
    a_url, b_url = tier
    planner = _user(make_user, "双实例规划员", Role.PLANNER, demo_grids[AREA])
    # Sessions: logged in on A, the same cookie is a session on B.
    on_a = _login(a_url, planner)
    a = _on(on_a, a_url)
    b = _on(on_a, b_url)
    me = b.get(b_url + "/api/me/", timeout=30)
    assert me.status_code == 200 and me.json()["username"] == planner.username

    # The point B places in GRID before the plan.
    grid = demo_grids[GRID]
    inside = shapely.from_wkb(bytes(grid.geometry.wkb))
    before = b.get(b_url + "/api/locate/", params={"lon": inside.centroid.x, "lat": inside.centroid.y}, timeout=30)
    assert before.status_code == 200, before.text[:300]
    assert before.json()["grid"]["code"] == GRID

    # A plan that splits GRID, published through A.
    plan = a.post(a_url + "/api/plans/", json={"parent": demo_grids[AREA].pk}, timeout=60)
    assert plan.status_code == 201, plan.text[:500]
    pid = plan.json()["plan"]["id"]
    from layers.plans.models import Plan

    draft = Plan.objects.get(pk=pid).grids.get(source_grid_id=grid.pk)
    split = a.post(f"{a_url}/api/plans/{pid}/split/", json={"grid": draft.pk, "line": crossing_line(draft, 2.0)},
                   timeout=60)
    assert split.status_code == 200, split.text[:500]
    published = a.post(f"{a_url}/api/plans/{pid}/publish/", json={}, timeout=120)
    assert published.status_code == 200, published.text[:500]
    created = {g["code"] for g in published.json()["created"]}

    # B's own in-process index answers the new grids at once, without a restart: a point inside
    # each new grid is placed in it, none in the retired one.
    created = published.json()["created"]
    assert len(created) == 2
    from layers.grids.models import Grid

    for new in created:
        p = Grid.objects.get(pk=new["id"]).geometry.point_on_surface
        r = b.get(b_url + "/api/locate/", params={"lon": p.x, "lat": p.y}, timeout=30)
        assert r.status_code == 200 and r.json()["grid"]["code"] == new["code"], (new, r.text[:300])
    r = b.get(b_url + "/api/locate/", params={"lon": inside.centroid.x, "lat": inside.centroid.y}, timeout=30)
    assert r.json()["grid"]["code"] in {g["code"] for g in created}

    # Rate limit: 4 requests a minute to a public route per address, counted over both instances.
    # Four to A, then one to B: B refuses only if it sees A's count. (django-ratelimit counts in
    # fixed windows; if a window ends within the five requests, the counters restart: try again.)
    from django.core.cache import cache

    tries = []
    for _attempt in range(3):
        cache.clear()
        codes = [requests.get(a_url + "/api/schema/", timeout=60).status_code for _ in range(4)]
        codes.append(requests.get(b_url + "/api/schema/", timeout=60).status_code)
        tries.append(codes)
        if codes == [200, 200, 200, 200, 429]:
            break
    assert tries[-1] == [200, 200, 200, 200, 429], tries

    # Offline replay: the phone's outbox sends the same write to A, then (after a failover) to B.
    elsewhere = next(g for code, g in sorted(demo_grids.items())
                     if g.level == 4 and g.kind == "base" and not code.startswith(AREA))
    member = _user(make_user, "双实例网格员", Role.GRID_MEMBER, elsewhere)
    m_a = _on(_login(a_url, member), a_url)
    m_b = _on(m_a, b_url)
    m_b.headers["Referer"] = b_url + "/"
    first = m_a.post(a_url + "/api/patrols/", json={}, headers={"Idempotency-Key": "outbox-1"}, timeout=30)
    again = m_b.post(b_url + "/api/patrols/", json={}, headers={"Idempotency-Key": "outbox-1"}, timeout=30)
    assert first.status_code == 201, first.text[:300]
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", again.text[:300]
    assert again.json()["id"] == first.json()["id"]
    assert Patrol.objects.filter(member=member).count() == 1


def test_compose_file_shows_replicas_behind_a_proxy_a_read_replica_and_dask():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    web = services["web"]
    assert web["deploy"]["replicas"] >= 2
    assert "ports" not in web    # only the proxy is published
    proxy = services["proxy"]
    assert "web" in proxy["depends_on"] and proxy["ports"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    replica = services["db-replica"]
    assert "db" in replica["depends_on"] and "pg_basebackup" in " ".join(replica["command"])
    assert services["dask-scheduler"]["command"][0] == "dask"
    workers = services["dask-worker"]
    assert workers["deploy"]["replicas"] >= 2 and "dask-scheduler:8786" in " ".join(workers["command"])
    assert web["environment"]["GEOGRID_DASK_SCHEDULER"] == "tcp://dask-scheduler:8786"
    config = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "upstream" in config and "web:8000" in config
