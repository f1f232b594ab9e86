"""OGC API - Features (Part 1 Core, GeoJSON and HTML; Part 2 CRS by reference) at /ogc/.

Thin views: parameters are checked here (a clear 400 for anything wrong), rows come from the
layers' selectors, features are built by `selectors.features_page` in PostGIS."""
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.contrib.gis.geos import Polygon
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from layers.core.api import FormatByRoute
from layers.core.errors import RuleViolation
from layers.staff.scope import scope_for

from . import selectors
from .collections import (COVERAGE_ID, COVERAGE_QUERYABLES, DEFAULT_LIMIT, MAX_LIMIT, Collection,
                          collections)
from .crs import CRS84, STORAGE, SUPPORTED, parse_bbox, parse_crs

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
GEOJSON = "application/geo+json"
ITEMS_PARAMS = {"f", "limit", "offset", "cursor", "bbox", "bbox-crs", "crs", "datetime"}
CURSOR_SALT = "layers.ogc.cursor"


def cursor_encode(collection_id: str, direction: str, fid: int) -> str:
    """An opaque paging cursor: the collection, the direction ('a' after, 'b' before) and an id,
    signed so a client can neither forge one nor carry one to another collection."""
    return signing.dumps([collection_id, direction, int(fid)], salt=CURSOR_SALT)


def cursor_decode(collection_id: str, text: str) -> tuple[str, int]:
    """(direction, id) of a cursor this server gave for `collection_id`; a 400 for anything else."""
    try:
        cid, direction, fid = signing.loads(text, salt=CURSOR_SALT)
        valid = isinstance(fid, int) and direction in ("a", "b") and isinstance(cid, str)
    except (signing.BadSignature, ValueError, TypeError):
        valid = False
    if not valid:
        raise RuleViolation("cursor_invalid", _("The paging cursor is not valid; follow the next and prev "
                                                "links this server gives"))
    if cid != collection_id:
        raise RuleViolation("cursor_other_collection", _("The paging cursor belongs to the collection "
                                                         "%(other)s, not to %(id)s") % {"other": cid, "id": collection_id})
    return direction, fid


class OgcView(APIView):
    # The project's API authentication (password or personal token, by basic or Bearer; an
    # anonymous request gets the 401 Basic challenge GDAL and QGIS need) and the access table.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatByRoute
    # Described by their own standards (OGC API Features, GeoReport v2), not by the DRF schema.
    schema = None
    html_template = "ogc/page.html"

    def wants_html(self, request) -> bool:
        f = request.GET.get("f")
        if f:
            if f not in ("json", "html"):
                raise RuleViolation("f_unsupported", _("Unsupported format f=%(f)s; use json or html") % {"f": f})
            return f == "html"
        accept = request.META.get("HTTP_ACCEPT", "")
        return "text/html" in accept and "json" not in accept

    def url(self, request, path: str, **params) -> str:
        base = request.build_absolute_uri(f"/ogc{path}")
        params = {k: v for k, v in params.items() if v is not None}
        return f"{base}?{urlencode(params)}" if params else base

    def answer(self, request, data: dict, *, title: str, content_type="application/json", body: str | None = None,
               headers: dict | None = None, features: list | None = None):
        if self.wants_html(request):
            resp = render(request, self.html_template, {"title": title, "data": data, "features": features})
        else:
            resp = HttpResponse(body if body is not None else selectors.dumps(data), content_type=content_type)
        for k, v in (headers or {}).items():
            resp[k] = v
        resp["Vary"] = "Accept, Authorization, Cookie"
        return resp

    def handle_exception(self, exc):
        if isinstance(exc, RuleViolation):
            resp = HttpResponse(selectors.dumps({"code": exc.rule, "description": exc.messages[0]}),
                                status=400, content_type="application/json")
            return resp
        if isinstance(exc, Http404):
            exc = NotFound(str(exc) or _("Not found"))
        return super().handle_exception(exc)

    def self_links(self, request, path: str, title: str) -> list[dict]:
        return [
            {"href": self.url(request, path, f="json"), "rel": "self", "type": "application/json", "title": title},
            {"href": self.url(request, path, f="html"), "rel": "alternate", "type": "text/html", "title": title},
        ]


def collection_or_404(collection_id: str) -> Collection | None:
    if collection_id == COVERAGE_ID:
        return None
    c = collections().get(collection_id)
    if c is None:
        raise Http404(_("No collection %(id)s") % {"id": collection_id})
    return c


class LandingView(OgcView):
    def get(self, request):
        title = _("geogrid grid governance: OGC API - Features")
        data = {
            "title": title,
            "description": _("Grids, special grids, standard addresses, incidents and coverage figures "
                             "of your grids. CRS84, EPSG:4326 and EPSG:4490 (CGCS2000)."),
            "links": self.self_links(request, "/", title) + [
                {"href": self.url(request, "/conformance"), "rel": "conformance", "type": "application/json",
                 "title": _("Conformance")},
                {"href": self.url(request, "/collections"), "rel": "data", "type": "application/json",
                 "title": _("Collections")},
                {"href": request.build_absolute_uri("/api/schema/"), "rel": "service-desc",
                 "type": "application/vnd.oai.openapi+json;version=3.0", "title": _("API definition")},
            ],
        }
        return self.answer(request, data, title=title)


class ConformanceView(OgcView):
    def get(self, request):
        return self.answer(request, {"conformsTo": CONFORMANCE}, title=_("Conformance"))


def _collection_meta(view, request, c: Collection | None) -> dict:
    cid = c.id if c else COVERAGE_ID
    if c is None:
        title, description, default, maximum = (_("Coverage figures"), _(
            "Per base grid in your scope: households, addresses, subjects, staff, visits within cadence, "
            "open and overdue incidents (counts from 1 to 9 shown as <10 above the grid head's level)."),
            DEFAULT_LIMIT, MAX_LIMIT)
    else:
        title, description, default, maximum = str(c.title), str(c.description), c.default_limit, c.max_limit
    meta = {
        "id": cid, "title": title, "description": description, "itemType": "feature",
        "crs": list(SUPPORTED), "storageCrs": STORAGE.uri,
        "extent": {"spatial": {"bbox": [list(settings.GEOGRID_CHINA_BBOX)], "crs": CRS84}},
        # The paging contract, stated: `limit` defaults to this and larger values are cut to the maximum.
        "limit": {"default": default, "maximum": maximum},
        "links": [
            {"href": view.url(request, f"/collections/{cid}/items", f="json"), "rel": "items", "type": GEOJSON,
             "title": title},
            {"href": view.url(request, f"/collections/{cid}/items", f="html"), "rel": "items",
             "type": "text/html", "title": title},
            {"href": view.url(request, f"/collections/{cid}/queryables"),
             "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
             "title": _("Queryables")},
            {"href": view.url(request, f"/collections/{cid}", f="json"), "rel": "self", "type": "application/json",
             "title": title},
        ],
    }
    if c is not None and c.temporal:
        meta["extent"]["temporal"] = {"interval": [[None, None]],
                                      "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return meta


def readable(user, cid: str) -> bool:
    """Whether the user's roles may read this collection's items (layers.staff.access)."""
    from layers.staff.access import NONE

    return scope_for(user).access(ITEMS_ROUTE.get(cid, "ogc-items"), "GET") != NONE


# Collections whose rows the access table rules separately from the public map layers.
ITEMS_ROUTE = {"incidents": "ogc-incident-items", COVERAGE_ID: "ogc-coverage-items"}


class CollectionsView(OgcView):
    def get(self, request):
        items = [_collection_meta(self, request, c) for c in collections().values() if readable(request.user, c.id)]
        if readable(request.user, COVERAGE_ID):
            items.append(_collection_meta(self, request, None))
        data = {"links": self.self_links(request, "/collections", _("Collections")), "collections": items,
                "crs": list(SUPPORTED)}
        return self.answer(request, data, title=_("Collections"))


class CollectionView(OgcView):
    def get(self, request, collection_id):
        c = collection_or_404(collection_id)
        meta = _collection_meta(self, request, c)
        return self.answer(request, meta, title=meta["title"])


class QueryablesView(OgcView):
    def get(self, request, collection_id):
        c = collection_or_404(collection_id)
        queryables = COVERAGE_QUERYABLES if c is None else c.queryables
        props = {}
        for name, q in queryables.items():
            p = {"title": str(q.title), "type": q.type}
            if q.enum:
                p["enum"] = list(q.enum)
            props[name] = p
        data = {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": request.build_absolute_uri(),
                "type": "object", "title": collection_id, "properties": props}
        return self.answer(request, data, title=_("Queryables"), content_type="application/schema+json")


def _int_param(request, name: str, default: int, minimum: int = 0) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuleViolation(f"{name}_invalid", _("%(name)s must be a whole number") % {"name": name})
    if value < minimum:
        raise RuleViolation(f"{name}_invalid", _("%(name)s must be at least %(min)s") % {"name": name, "min": minimum})
    return value


def _parse_instant(text: str, *, end: bool):
    if text in ("", ".."):
        return None
    d = parse_datetime(text)
    if d is not None:
        return d if timezone.is_aware(d) else timezone.make_aware(d)
    d = parse_date(text)
    if d is None:
        raise ValueError(text)
    return d


def parse_interval(value: str | None):
    """datetime=instant or start/end (either may be '..'): (start, end), or None when not given."""
    if not value:
        return None
    try:
        if "/" in value:
            a, b = value.split("/", 1)
            start, end = _parse_instant(a, end=False), _parse_instant(b, end=True)
        else:
            start = end = _parse_instant(value, end=False)
    except ValueError:
        raise RuleViolation("datetime_invalid", _("datetime must be a date, a date-time (RFC 3339) or an "
                                                  "interval start/end with '..' for an open end"))
    return start, end


def _coerce(q, raw: str, name: str):
    if q.type == "integer":
        try:
            return int(raw)
        except ValueError:
            raise RuleViolation("filter_invalid", _("%(name)s must be a whole number") % {"name": name})
    if q.type == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise RuleViolation("filter_invalid", _("%(name)s must be true or false") % {"name": name})
        return raw.lower() in ("true", "1")
    if q.enum and raw not in q.enum:
        raise RuleViolation("filter_invalid", _("%(name)s must be one of %(choices)s")
                            % {"name": name, "choices": ", ".join(q.enum)})
    return raw


class ItemsRequest:
    """The checked parameters of an items request."""

    def __init__(self, request, collection_id: str, queryables: dict, max_limit: int, default_limit: int):
        unknown = set(request.GET) - ITEMS_PARAMS - set(queryables)
        if unknown:
            raise RuleViolation("parameter_unknown", _("Unknown parameter(s): %(names)s; filters: %(filters)s")
                                % {"names": ", ".join(sorted(unknown)), "filters": ", ".join(queryables) or "-"})
        self.crs = parse_crs(request.GET.get("crs"))
        self.limit = min(_int_param(request, "limit", default_limit, 1), max_limit)
        self.offset = _int_param(request, "offset", 0)
        self.after = self.before = None
        if request.GET.get("cursor"):
            if self.offset:
                raise RuleViolation("cursor_with_offset", _("Give either cursor or offset, not both"))
            direction, fid = cursor_decode(collection_id, request.GET["cursor"])
            if direction == "a":
                self.after = fid
            else:
                self.before = fid
        self.bbox = None
        if request.GET.get("bbox"):
            bcrs = parse_crs(request.GET.get("bbox-crs"), param="bbox-crs")
            self.bbox = Polygon.from_bbox(parse_bbox(request.GET["bbox"], bcrs))
            self.bbox.srid = bcrs.srid
        self.interval = parse_interval(request.GET.get("datetime"))
        self.filters = {name: _coerce(q, request.GET[name], name) for name, q in queryables.items()
                        if name in request.GET}


class ItemsView(OgcView):
    def get(self, request, collection_id):
        c = collection_or_404(collection_id)
        if c is None:
            return self.coverage(request)
        p = ItemsRequest(request, c.id, c.queryables, c.max_limit, c.default_limit)
        qs = c.rows(request.user, p.interval)
        if p.bbox is not None:
            qs = qs.filter(geometry__intersects=p.bbox)
        for name, value in p.filters.items():
            qs = qs.filter(**{c.queryables[name].lookup: value})
        page = selectors.features_page(qs, properties=c.properties, crs=p.crs, storage_srid=settings.GEOGRID_SRID,
                                       limit=p.limit, offset=p.offset, after=p.after, before=p.before)
        first_only = p.offset == 0 and p.after is None and p.before is None and not page.more
        # numberMatched: see selectors.MATCHED_EXACT_UP_TO (exact up to it, else left out).
        matched = page.returned if first_only else selectors.bounded_count(qs)
        return self.collection_answer(request, c.id, str(c.title), p, matched, page)

    def coverage(self, request):
        p = ItemsRequest(request, COVERAGE_ID, COVERAGE_QUERYABLES, MAX_LIMIT, DEFAULT_LIMIT)
        if p.interval is not None:
            raise RuleViolation("datetime_unsupported", _("Coverage figures are for today; datetime is not supported"))
        levels = [p.filters["level"]] if "level" in p.filters else list(settings.GEOGRID_LEVELS)
        rows = selectors.coverage_rows(user=request.user, levels=levels)
        for name in ("code", "parent_id"):
            if name in p.filters:
                rows = [r for r in rows if r[name] == p.filters[name]]
        if p.bbox is not None:
            inside = selectors.grid_geometries(ids=[r["grid_id"] for r in rows], crs=p.crs,
                                               storage_srid=settings.GEOGRID_SRID, bbox=p.bbox)
            rows = [r for r in rows if r["grid_id"] in inside]
        # The figures are computed for every grid in scope (by the subjects layer), so the count
        # is exact and free; the cursor pages the same way as the other collections.
        if p.after is not None:
            rest = [r for r in rows if r["grid_id"] > p.after]
            page, more = rest[:p.limit], len(rest) > p.limit
        elif p.before is not None:
            rest = [r for r in rows if r["grid_id"] < p.before]
            page, more = rest[-p.limit:], len(rest) > p.limit
        else:
            page, more = rows[p.offset:p.offset + p.limit], p.offset + p.limit < len(rows)
        geoms = selectors.grid_geometries(ids=[r["grid_id"] for r in page], crs=p.crs,
                                          storage_srid=settings.GEOGRID_SRID)
        features = "[" + ",".join(
            '{"type":"Feature","id":%d,"geometry":%s,"properties":%s}'
            % (r["grid_id"], geoms.get(r["grid_id"]) or "null", selectors.dumps(r)) for r in page) + "]"
        ids = [r["grid_id"] for r in page]
        return self.collection_answer(request, COVERAGE_ID, _("Coverage figures"), p, len(rows), selectors.Page(
            len(page), features, ids[0] if ids else None, ids[-1] if ids else None, more))

    def collection_answer(self, request, cid, title, p, matched, page):
        path = f"/collections/{cid}/items"
        params = {k: v for k, v in request.GET.items() if k not in ("offset", "cursor", "f")}
        here = {"offset": p.offset or None, "cursor": request.GET.get("cursor") or None}
        links = [
            {"href": self.url(request, path, **params, **here, f="json"), "rel": "self",
             "type": GEOJSON, "title": title},
            {"href": self.url(request, path, **params, **here, f="html"), "rel": "alternate",
             "type": "text/html", "title": title},
            {"href": self.url(request, f"/collections/{cid}"), "rel": "collection", "type": "application/json",
             "title": title},
        ]
        paged = {**params, "limit": p.limit}
        # Forward: after the last id on this page (a page read backwards always has rows after it).
        if page.returned and (page.more or p.before is not None):
            links.append({"href": self.url(request, path, **paged, cursor=cursor_encode(cid, "a", page.last),
                                           f="json"), "rel": "next", "type": GEOJSON, "title": _("Next page")})
        # Backward: before the first id on this page; by offset for a page reached by offset.
        if page.returned and (p.after is not None or (p.before is not None and page.more)):
            links.append({"href": self.url(request, path, **paged, cursor=cursor_encode(cid, "b", page.first),
                                           f="json"), "rel": "prev", "type": GEOJSON, "title": _("Previous page")})
        elif p.offset > 0:
            links.append({"href": self.url(request, path, **paged, offset=max(0, p.offset - p.limit) or None,
                                           f="json"), "rel": "prev", "type": GEOJSON, "title": _("Previous page")})
        head = {"type": "FeatureCollection", "name": cid}
        if matched is not None:
            head["numberMatched"] = matched
        head.update({"numberReturned": page.returned, "timeStamp": timezone.now().isoformat(timespec="seconds"),
                     "links": links})
        headers = {"Content-Crs": f"<{p.crs.uri}>"}
        features = page.text
        if self.wants_html(request):
            if matched is None:
                head = {**head, "uncounted": _("%(returned)s features on this page; more than %(cap)s match") % {
                    "returned": page.returned, "cap": selectors.MATCHED_EXACT_UP_TO}}
            return self.answer(request, head, title=title, headers=headers, features=json.loads(features))
        body = selectors.dumps(head)[:-1] + ',"features":' + features + "}"
        return self.answer(request, head, title=title, content_type=GEOJSON, body=body, headers=headers)


class ItemView(OgcView):
    def get(self, request, collection_id, fid):
        c = collection_or_404(collection_id)
        unknown = set(request.GET) - {"f", "crs"}
        if unknown:
            raise RuleViolation("parameter_unknown", _("Unknown parameter(s): %(names)s")
                                % {"names": ", ".join(sorted(unknown))})
        crs = parse_crs(request.GET.get("crs"))
        if c is None:
            row = next((r for r in selectors.coverage_rows(user=request.user, levels=list(settings.GEOGRID_LEVELS))
                        if r["grid_id"] == fid), None)
            if row is None:
                raise Http404(_("No such feature"))
            geom = selectors.grid_geometries(ids=[fid], crs=crs, storage_srid=settings.GEOGRID_SRID).get(fid)
            feature = '{"type":"Feature","id":%d,"geometry":%s,"properties":%s}' % (
                fid, geom or "null", selectors.dumps(row))
            title = _("Coverage figures")
        else:
            # Any grid by id, retired ones too (an open interval); other collections as listed.
            rows = c.rows(request.user, (None, None) if c.temporal else None)
            feature = selectors.feature_one(rows, fid=fid, properties=c.properties, crs=crs,
                                            storage_srid=settings.GEOGRID_SRID)
            if feature is None:
                raise Http404(_("No such feature"))
            title = str(c.title)
        cid = collection_id
        links = [{"href": self.url(request, f"/collections/{cid}/items/{fid}", f="json"), "rel": "self",
                  "type": GEOJSON, "title": title},
                 {"href": self.url(request, f"/collections/{cid}"), "rel": "collection",
                  "type": "application/json", "title": title}]
        headers = {"Content-Crs": f"<{crs.uri}>"}
        if self.wants_html(request):
            return self.answer(request, {"links": links}, title=title, headers=headers, features=[json.loads(feature)])
        body = feature[:-1] + ',"links":' + selectors.dumps(links) + "}"
        return self.answer(request, {}, title=title, content_type=GEOJSON, body=body, headers=headers)
