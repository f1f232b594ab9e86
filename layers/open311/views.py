"""Open311 GeoReport v2 at /open311/v2/ (JSON and XML by the path's extension).

services: the leaf types of the incident taxonomy. requests POST: a hotline or city platform
files a case with its api_key; it enters the same intake as every incident. requests GET,
requests/{id}, tokens/{id}: the client reads back what it posted (and its service account's
scope), with status and agency following the workflow and the whistle path."""
import datetime as dt
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from layers.core.errors import RuleViolation
from layers.incidents.models import Status
from layers.core.api import FormatByRoute

from . import selectors, services

# Open311 knows two states; the grid's work is done once a case is resolved (or refused).
CLOSED = {Status.RESOLVED, Status.VERIFIED, Status.CLOSED, Status.REJECTED}
PAGE_SIZE, MAX_PAGE_SIZE = 200, 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status, self.description = status, description


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for k, v in row.items():
            child = ET.SubElement(el, k)
            if isinstance(v, bool):
                child.text = "true" if v else "false"
            elif v is not None:
                child.text = str(v)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def respond(fmt: str, root: str, item: str, rows: list[dict], status: int = 200, headers: dict | None = None):
    if fmt == "xml":
        resp = HttpResponse(_xml(root, item, rows), status=status, content_type="text/xml; charset=utf-8")
    else:
        import json
        resp = HttpResponse(json.dumps(rows, ensure_ascii=False), status=status,
                            content_type="application/json; charset=utf-8")
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


class Open311View(APIView):
    # Open311 authenticates writes by api_key, not by a user login.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatByRoute
    # Described by their own standards (OGC API Features, GeoReport v2), not by the DRF schema.
    schema = None

    def dispatch(self, request, *args, fmt="json", **kwargs):
        self.fmt = fmt
        return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, Open311Error):
            status, description = exc.status, exc.description
        elif isinstance(exc, RuleViolation):
            status, description = 400, exc.messages[0]
        else:
            resp = super().handle_exception(exc)
            status, description = resp.status_code, str(getattr(exc, "detail", exc))
        return respond(self.fmt, "errors", "error", [{"code": status, "description": description}], status=status)

    def param(self, request, name):
        value = request.data.get(name) if request.method == "POST" else None
        return value if value not in (None, "") else request.query_params.get(name)

    def client(self, request):
        client = selectors.client_by_key(key=self.param(request, "api_key"))
        if client is None:
            raise Open311Error(403, _("A valid api_key is required"))
        return client


def _service(t) -> dict:
    return {"service_code": t.code, "service_name": t.name, "description": str(t),
            "metadata": False, "type": "realtime", "keywords": t.parent.name, "group": t.parent.name}


def _agency(incident) -> str:
    """Who answers for the case now: the department the whistle reached, else the grid's station."""
    escalations = sorted(incident.escalations.all(), key=lambda e: e.escalated_at)
    for e in reversed(escalations):
        if e.department_id:
            return e.department.name
    station = incident.grid.station
    return station.name if station else incident.grid.name


def _iso(v):
    return timezone.localtime(v).isoformat(timespec="seconds") if v else None


def _request(incident) -> dict:
    req = getattr(incident, "open311_request", None)
    lon, lat = incident.geometry.x, incident.geometry.y
    return {
        "service_request_id": incident.ref or str(incident.pk),
        "status": "closed" if incident.status in CLOSED else "open",
        "status_notes": str(Status(incident.status).label),
        "service_name": incident.type.name, "service_code": incident.type.code,
        # Cases are public matters, but the description may name people: clients read back their own.
        "description": incident.description if req is not None else None,
        "agency_responsible": _agency(incident),
        "service_notice": None,
        "requested_datetime": _iso(incident.reported_at),
        "updated_datetime": _iso(incident.updated_at),
        "expected_datetime": _iso(incident.deadline) if incident.status not in CLOSED else None,
        "address": req.address_string if req is not None and req.address_string else None,
        "address_id": incident.address_id, "zipcode": None,
        "lat": round(lat, 7), "long": round(lon, 7), "media_url": None,
    }


class ServicesView(Open311View):
    def get(self, request):
        return respond(self.fmt, "services", "service", [_service(t) for t in selectors.service_list()])


class ServiceDefinitionView(Open311View):
    def get(self, request, code):
        if not any(t.code == code for t in selectors.service_list()):
            raise Open311Error(404, _("No service %(code)s") % {"code": code})
        # No service has extra attributes (metadata=false): the definition is empty.
        return respond(self.fmt, "service_definition", "attributes", [{"service_code": code}])


def _float(value, name):
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise Open311Error(400, _("%(name)s must be a number") % {"name": name})
    if f != f or f in (float("inf"), float("-inf")):
        raise Open311Error(400, _("%(name)s must be a number") % {"name": name})
    return f


def _date(value, name):
    d = parse_datetime(value)
    if d is None:
        raise Open311Error(400, _("%(name)s must be a W3C date-time, e.g. 2026-01-31T09:00:00+08:00") % {"name": name})
    return d if timezone.is_aware(d) else timezone.make_aware(d)


class RequestsView(Open311View):
    def post(self, request):
        client = self.client(request)
        code = self.param(request, "service_code")
        if not code:
            raise Open311Error(400, _("service_code is required"))
        if not any(t.code == code for t in selectors.service_list()):
            raise Open311Error(404, _("No service %(code)s") % {"code": code})
        description = self.param(request, "description") or ""
        lat, lon, address_id = self.param(request, "lat"), self.param(request, "long"), self.param(request, "address_id")
        if address_id in (None, "") and (lat in (None, "") or lon in (None, "")):
            raise Open311Error(400, _("Give lat and long (WGS84) or an address_id"))
        fields = {}
        if address_id not in (None, ""):
            fields["address_id"] = address_id
        else:
            fields.update(lat=_float(lat, "lat"), lon=_float(lon, "long"))
        req = services.request_create(client=client, service_code=code, description=description,
                                      address_string=self.param(request, "address_string") or "", **fields)
        return respond(self.fmt, "service_requests", "request", [{
            "service_request_id": req.incident.ref, "token": req.token,
            "service_notice": _("Filed to grid %(grid)s") % {"grid": req.incident.grid.name},
            "account_id": None}], status=201)

    def get(self, request):
        client = self.client(request)
        qs = selectors.request_list(client=client)
        ids = self.param(request, "service_request_id")
        if ids:
            qs = qs.filter(ref__in=[i.strip() for i in ids.split(",") if i.strip()])
        else:
            if code := self.param(request, "service_code"):
                qs = qs.filter(type__code__in=code.split(","))
            if status := self.param(request, "status"):
                wanted = set(status.split(","))
                if not wanted <= {"open", "closed"}:
                    raise Open311Error(400, _("status must be open or closed"))
                if wanted == {"open"}:
                    qs = qs.exclude(status__in=CLOSED)
                elif wanted == {"closed"}:
                    qs = qs.filter(status__in=CLOSED)
            start, end = self.param(request, "start_date"), self.param(request, "end_date")
            end = _date(end, "end_date") if end else timezone.now()
            # The spec's default window: the last 90 days before end_date.
            start = _date(start, "start_date") if start else end - dt.timedelta(days=90)
            qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        try:
            page = int(self.param(request, "page") or 1)
            size = min(int(self.param(request, "page_size") or PAGE_SIZE), MAX_PAGE_SIZE)
        except ValueError:
            raise Open311Error(400, _("page and page_size must be whole numbers"))
        if page < 1 or size < 1:
            raise Open311Error(400, _("page and page_size must be at least 1"))
        total = qs.count()
        rows = [_request(i) for i in qs[(page - 1) * size:page * size]]
        headers = {"X-Total-Count": str(total)}
        if page * size < total:
            nxt = request.GET.copy()
            nxt["page"], nxt["page_size"] = str(page + 1), str(size)
            headers["Link"] = f'<{request.build_absolute_uri(request.path)}?{nxt.urlencode()}>; rel="next"'
        return respond(self.fmt, "service_requests", "request", rows, headers=headers)


class RequestView(Open311View):
    def get(self, request, rid):
        client = self.client(request)
        incident = selectors.request_list(client=client).filter(ref=rid).first()
        if incident is None:
            raise Open311Error(404, _("No service request %(id)s") % {"id": rid})
        return respond(self.fmt, "service_requests", "request", [_request(incident)])


class TokenView(Open311View):
    def get(self, request, token):
        client = self.client(request)
        req = selectors.token_get(client=client, token=token)
        if req is None:
            raise Open311Error(404, _("No token %(token)s") % {"token": token})
        return respond(self.fmt, "service_requests", "request",
                       [{"service_request_id": req.incident.ref, "token": req.token}])
