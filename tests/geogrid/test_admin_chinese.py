"""The admin site in Chinese: every model's changelist, add page and one change page render for
an administrator in zh-hans with no English left in what the page shows (headers, labels, choices,
titles), and no "Model object (N)" titles."""
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

# Words that stay as they are in a Chinese admin: names of formats, standards and products, units.
ALLOWED = {
    "api", "csv", "xlsx", "png", "pdf", "jpeg", "webp", "json", "geojson", "wgs", "gcj", "bd", "cgcs",
    "url", "http", "https", "open", "opengeospatial", "ogc", "id", "ip", "gis", "django", "utc", "cst", "gmt",
    "georeport", "sha", "hmac", "token", "bearer", "basic", "www", "com", "osm", "openlayers", "leaflet",
    # Keys named as they are printed on them, in Django's own Chinese help texts.
    "control", "command", "mac", "ldap", "post", "get", "accept",
    # A stored geometry shown as EWKT (read-only map fields).
    "srid", "point", "multipolygon", "polygon",
}
WORD = re.compile(r"[A-Za-z][A-Za-z]{2,}")  # three letters or more: "m", "km", "No" are not sentences
# Random machine text shown as it is (a password hash's salt and digest, masked after a few characters:
# "e24eba****", "kQwXyz****"): a masked run, or a run of letters and digits with at least one digit, is
# not a word, whatever letters it happens to hold.
MACHINE_TOKEN = re.compile(r"[A-Za-z0-9+/=]+\*+|\b(?=[A-Za-z0-9+/=]*\d)[A-Za-z0-9+/=]{4,}")


class VisibleText(HTMLParser):
    """Text a person reads on the page: body text (not scripts or styles), option labels, button
    values, placeholders and titles."""

    SKIP = {"script", "style", "noscript", "template", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        a = dict(attrs)
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])
        for attr in ("placeholder", "title", "aria-label"):
            if a.get(attr):
                self.parts.append(a[attr])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def english_in(html: str, values: set[str]) -> list[str]:
    """English words in the visible text, less the allowlist and the data values themselves
    (usernames, codes, e-mail addresses that the rows hold)."""
    p = VisibleText()
    p.feed(html)
    out = []
    for part in p.parts:
        if part in values or part.startswith("{"):  # a value of the data, or a JSON document stored
            continue
        for value in values:  # data quoted inside interface text ("选择此对象执行操作 - <username>")
            if value in part:
                part = part.replace(value, "")
        for w in WORD.findall(MACHINE_TOKEN.sub(" ", part)):
            if w.lower() not in ALLOWED and w not in values:
                out.append(f"{w} «{part[:60]}»")
    return out


@pytest.fixture
def admin_world(demo_grids, make_user):
    """The demo street with staff, addresses, subjects and cases, so change pages have rows."""
    from layers.addresses import demo as addresses_demo
    from layers.incidents import demo as incidents_demo
    from layers.staff import demo as staff_demo
    from layers.subjects import demo as subjects_demo

    addresses_demo.load()
    staff_demo.load()
    subjects_demo.load()
    incidents_demo.load()
    return make_user("中文管理员", is_staff=True, is_superuser=True)


def data_values() -> set[str]:
    """What the rows hold that is data, not interface: usernames, e-mails, codes, names."""
    from django.contrib.auth import get_user_model

    from layers.incidents.models import Department, Incident
    from layers.staff.models import StaffProfile

    values = set()
    for u in get_user_model().objects.all():
        values |= {u.username, u.email, u.first_name, u.last_name}
    values |= set(Incident.objects.values_list("ref", flat=True))
    values |= set(Department.objects.values_list("code", flat=True))
    values |= {p.photo.name for p in StaffProfile.objects.exclude(photo="")}
    from axes.models import AccessLog

    values |= set(AccessLog.objects.values_list("user_agent", flat=True))
    return {v for v in values if v}


@pytest.mark.django_db
def test_every_admin_page_renders_in_chinese(client, admin_world):
    client.force_login(admin_world)
    values = data_values()
    problems: dict[str, list[str]] = {}
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:%s_%s_changelist" % info))
        pages.append(reverse("admin:%s_%s_changelist" % info) + "?q=1")  # a search: "0 results" etc.
        if model_admin.has_add_permission(_request(admin_world)):
            pages.append(reverse("admin:%s_%s_add" % info))
        first = model_admin.get_queryset(_request(admin_world)).order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:%s_%s_change" % info, args=[first.pk]))
    assert len(pages) > 30
    for url in pages:
        r = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code == 200, url
        html = r.content.decode()
        found = english_in(html, values)
        if re.search(r"\bobject \(\d+\)", html):
            found.append("object (N) title")
        if found:
            problems[url] = sorted(set(found))
    assert problems == {}, "\n".join(f"{u}: {', '.join(ws[:12])}" for u, ws in problems.items())


def _request(user):
    from django.test import RequestFactory

    req = RequestFactory().get("/admin/")
    req.user = user
    return req
