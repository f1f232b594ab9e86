"""A corpus of hostile inputs sent to every route (every URL pattern, through the same walk as
the access table's test), as an administrator and as the field, planning or leading role the
route is for: no answer may be a server error. Every cause of the 500s of issue 12 is here:
NUL characters, Unicode digits, impossible dates, non-object JSON, wrong JSON types, deep
nesting, out-of-range integers, negative paging, non-finite bboxes and coordinates, unknown
SRIDs, and bodies over the limits."""
import datetime as dt
import json

import pytest
from django.conf import settings
from django.test import Client

from layers.addresses.services import address_create
from layers.incidents.services import incident_create
from layers.incidents.taxonomy import taxonomy_ensure
from layers.plans.services import plan_create
from layers.staff.access import NONE, rule_for
from layers.staff.models import Role
from layers.subjects.services import subject_create, visit_create
from tests.urlwalk import methods as _methods, sample as _sample, walk

pytestmark = pytest.mark.django_db

HERE, HERE_AREA = "310106013001001", "310106013001"

QUERY_VALUES = [
    "\x00", "²", "١٢", "-1", "-99999999999999999999", "9223372036854775808", "1e309", "nan", "-inf",
    "2026-02-30", "2026-02-30T25:61:00", " ", "x" * 3000, "[]", "nan,nan,nan,nan", "inf,-inf,1,2", "1,1,1,1",
    "%_\\'\"", "😀\u202e", "0", "-0.5", "csv",
]
# Map pages build a folium map per request: a shorter list, still one of each kind of trouble.
MAP_VALUES = ["\x00", "²", "-99999999999999999999", "nan", "2026-02-30", "x" * 3000, "0"]
QUERY_NAMES = [
    "grid", "level", "limit", "offset", "bbox", "date", "since", "until", "lon", "lat", "crs", "q", "code", "parent",
    "days", "subject", "within", "page", "kind", "status", "size", "address", "category", "tolerance", "class",
    "incident_class", "type", "source", "overdue", "metric", "role", "print", "name", "format",
]
BODY_NAMES = [
    "lon", "lat", "crs", "address", "incident_class", "type", "description", "source", "to", "note", "department",
    "action", "score", "fields", "subject", "date", "kind", "notes", "follow_up", "name", "category", "phone",
    "id_number", "ethnicity", "religion", "needs", "contact", "parent", "grid", "grids", "line", "geometry", "use",
    "target_households", "band", "lines", "strict_lines", "points", "within", "expires", "label",
]
INF_POLYGON = '{"type": "Polygon", "coordinates": [[[121.44, 31.22], [1e999, 31.22], [121.45, 31.23], [121.44, 31.22]]]}'
BODY_VALUES = [
    '"a\\u0000b"', '"²"', "-1", "18446744073709551616", "1e999", "true", "null", "{}", '[[1, 2], [3]]',
    '"2026-02-30"', '["phone", "\\u0000"]',
    INF_POLYGON,
    '{"type": "Polygon", "coordinates": [[[121.44, 31.22], [121.45, 31.22], [121.45, 31.23], [121.44, 31.22]]], '
    '"crs": {"type": "name", "properties": {"name": "EPSG:999999"}}}',
    '{"type": "LineString", "coordinates": [[121.44, 31.22], [1e999, -1e999]]}',
    '{"type": "Point", "coordinates": []}', '{"type": "Nope"}', '"SRID=999999;POINT(121 31)"',
    '"POLYGON((0 0, 1 0, 1 1, 0 0))"',
]
RAW_BODIES = [
    "[]", '"text"', "1", "null", "true", "[" * 100_000 + "]" * 100_000, '{"a": ' + "[" * 5000 + "]" * 5000 + "}",
    "{", "\x00", '{"lon": NaN, "lat": Infinity}', '{"points": [[1e999, 31.2]]}',
    '{"points": ' + json.dumps([[121.44, 31.22]] * 10_001) + "}",
    '{"geometry": {"type": "Polygon", "coordinates": [' + json.dumps([[121.44 + i * 1e-7, 31.22] for i in range(
        30_000)] + [[121.44, 31.22]]) + "]}}",
    '{"geometry": {"type": "Polygon", "coordinates": ' + json.dumps(
        [[[121.44, 31.22], [121.45, 31.22], [121.45, 31.23], [121.44, 31.22]]] * 600) + "}}",
]


@pytest.fixture
def records(demo_grids, make_user):
    taxonomy_ensure()
    here = demo_grids[HERE]
    p = here.geometry.point_on_surface
    address = address_create(full_text="静安区边界路1号", lon=p.x, lat=p.y, households=3)
    subject = subject_create(address=address, name="边界对象", category="religious_figure", phone="13800007777")
    head = make_user("hostile-head", Role.GRID_HEAD, here)
    visit_create(subject=subject, staff=head, date=dt.date(2026, 1, 5))
    incident = incident_create(lon=p.x, lat=p.y, description="边界事件", type="CA01")
    planner = make_user("hostile-planner", Role.PLANNER, demo_grids[HERE_AREA])
    plan = plan_create(parent=demo_grids[HERE_AREA], user=planner)
    users = {
        "admin": make_user("hostile-admin", is_superuser=True, is_staff=True),
        "field": head, "planner": planner,
        "leader": make_user("hostile-leader", Role.STREET_LEADER, demo_grids["310106013000"]),
        "handler": make_user("hostile-handler", Role.DEPARTMENT_HANDLER, demo_grids[HERE_AREA]),
    }
    ids = {"subject": {"pk": subject.pk}, "incident": {"pk": incident.pk, "photo_pk": 1},
           "plan": {"pk": plan.pk, "gid": plan.grids.first().pk}, "grid": {"pk": here.pk}}
    return users, ids


def _routes(ids):
    for name, route, pattern in walk():
        if name is None or name.startswith("admin:") or "(?P" in route:
            continue  # Django's admin site: its own forms, not ours to validate here
        base = name.split(":")[-1].split("-")[0]
        yield name, _sample(route, ids.get(base, {"*": 1})), pattern


def _clients(users, name, method, *, both=False):
    """The administrator, and the first role the access table gives this route to."""
    out = []
    for who in ("field", "planner", "leader", "handler", "admin"):
        role = {"field": "grid_head", "planner": "planner", "leader": "street_leader",
                "handler": "department_handler", "admin": "admin"}[who]
        if who != "admin" and rule_for(name, method) and rule_for(name, method).level(role) == NONE:
            continue
        c = Client(raise_request_exception=False)  # count every server error, not only the first
        c.force_login(users[who])
        out.append((who, c))
        if len(out) == 2 or (len(out) == 1 and not both):
            break
    return out


def _report(errors) -> str:
    """One line per route and method, with the first input that broke it and how many did."""
    seen = {}
    for e in errors:
        key = (e[0], e[1], e[2])
        seen.setdefault(key, [0, e])[0] += 1
    return f"{len(errors)} server errors:\n" + "\n".join(f"{n} x {e}" for n, e in seen.values())


def _status(r):
    if r.streaming:
        b"".join(r)
    return r.status_code


def test_hostile_query_parameters_never_give_a_server_error(records):
    users, ids = records
    errors = []
    for name, url, _pattern in _routes(ids):
        if name in ("logout",):
            continue
        for who, c in _clients(users, name, "GET"):
            for value in (MAP_VALUES if name.startswith("maps:") and name != "maps:api-hotspots" else QUERY_VALUES):
                r = c.get(url, {n: value for n in QUERY_NAMES})
                if _status(r) >= 500:
                    errors.append((who, "GET", url, repr(value)[:40], r.status_code))
    assert not errors, _report(errors)


def test_hostile_path_ids_never_give_a_server_error(records):
    users, _ids = records
    errors = []
    for name, route, pattern in walk():
        if name is None or name.startswith("admin:") or "<int:" not in route:
            continue
        for huge in ("9223372036854775807", "9223372036854775808", "99999999999999999999999"):
            url = _sample(route, {"*": huge})
            for method in _methods(pattern):
                for who, c in _clients(users, name, method):
                    r = c.get(url) if method == "GET" else c.generic(method, url, "{}", content_type="application/json")
                    if _status(r) >= 500:
                        errors.append((who, method, url, r.status_code))
    assert not errors, _report(errors)


def test_hostile_bodies_never_give_a_server_error(records):
    users, ids = records
    errors = []
    for name, url, pattern in _routes(ids):
        methods = [m for m in _methods(pattern) if m in ("POST", "PATCH", "PUT")]
        if name in ("logout", "login", "set_language") or not methods:
            continue
        for method in methods:
            takes_geometry = name.startswith("plan-") or name in ("address-locate", "incident-list")
            for who, c in _clients(users, name, method):
                # Bodies of megabytes go where geometries and points are read; everywhere else
                # the small ones reach the same parsers.
                bodies = (RAW_BODIES if takes_geometry else RAW_BODIES[:11]) + ["{" + ", ".join(f'"{n}": {v}' for n in BODY_NAMES) + "}" for v in BODY_VALUES]
                for body in bodies:
                    r = c.generic(method, url, body, content_type="application/json")
                    if _status(r) >= 500:
                        errors.append((who, method, url, body[:60], r.status_code))
                for value in ("\x00", "²", "2026-02-30", "-1", "99999999999999999999", "nan"):
                    r = c.generic(method, url, "&".join(f"{n}={value}" for n in BODY_NAMES),
                                  content_type="application/x-www-form-urlencoded")
                    if _status(r) >= 500:
                        errors.append((who, method, url, "form " + repr(value), r.status_code))
    assert not errors, _report(errors)


def test_limits_are_settings_and_refused_with_a_reason(records, client):
    users, _ids = records
    client.force_login(users["admin"])
    points = [[121.44, 31.22]] * (settings.GEOGRID_MAX_BATCH + 1)
    r = client.post("/api/locate/", json.dumps({"points": points}), content_type="application/json")
    assert r.status_code == 400 and r.json()["rule"] == "batch_too_large"
    r = client.post("/api/incidents/", "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert r.status_code == 400
    r = client.get("/api/incidents/?grid=%C2%B2")  # "²" passes str.isdigit()
    assert r.status_code == 400 and "grid" in r.content.decode()
    r = client.get("/api/grids/?q=a%00b")
    assert r.status_code == 400
