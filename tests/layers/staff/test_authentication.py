"""The 401 challenge: every non-public API, OGC and tile route answers an anonymous request with
401 and offers both schemes a client may use (basic with a password or token, Bearer token)."""
import re

import pytest
from django.test import Client

from layers.staff.access import rule_for
from tests.urlwalk import sample, walk

pytestmark = pytest.mark.django_db

CLIENT_PREFIXES = ("api/", "ogc/", "tiles/")


def challenges(header: str) -> dict[str, str]:
    """scheme -> realm of a WWW-Authenticate value holding one or more challenges."""
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r'(\w+)\s+realm="([^"]*)"', header)}


def test_every_client_route_challenges_anonymous_requests_with_basic_and_bearer():
    probed = []
    for name, route, pattern in walk():
        if not route.startswith(CLIENT_PREFIXES) or "(?P" in route:
            continue
        rule = rule_for(name or "", "GET")
        if rule is None or rule.public:
            continue
        url = sample(route, {"*": 1, "z": 0, "x": 0, "y": 0})
        r = Client().get(url)
        if r.status_code == 405:  # a POST-only route: the challenge comes first for POST too
            r = Client().post(url, "{}", content_type="application/json")
        assert r.status_code == 401, f"{url}: {r.status_code}"
        got = challenges(r.get("WWW-Authenticate", ""))
        assert got == {"basic": "geogrid", "bearer": "geogrid"}, f"{url}: {r.get('WWW-Authenticate')}"
        probed.append(url)
    # The walk reached the three families.
    assert {u.split("/")[1] for u in probed} >= {"api", "ogc", "tiles"}
    assert len(probed) > 20
