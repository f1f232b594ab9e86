"""Paging of list routes: `?limit=&offset=`, and every page says how many rows there are and
where the next and previous pages are, so no list stops silently.

A list answered as a JSON array keeps its shape (clients and pages read it as an array) and
carries the paging in headers: `X-Total-Count` and an RFC 8288 `Link` with rel="next" /
rel="prev" (as GitHub's API does). `limit` defaults to the route's default and is cut to its
maximum; the headers name both (`X-Limit`, `X-Limit-Maximum`)."""
from dataclasses import dataclass
from urllib.parse import urlencode

from . import params as P


@dataclass
class Page:
    rows: list
    count: int
    limit: int
    offset: int
    maximum: int
    next: str | None
    previous: str | None

    @property
    def truncated(self) -> bool:
        """True when rows after this page were left out."""
        return self.next is not None

    def headers(self) -> dict:
        links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", self.next), ("prev", self.previous)) if url]
        out = {"X-Total-Count": str(self.count), "X-Limit": str(self.limit), "X-Limit-Maximum": str(self.maximum)}
        if links:
            out["Link"] = ", ".join(links)
        return out


def _url(request, **changes) -> str:
    query = request.GET.copy()
    for k, v in changes.items():
        query[k] = str(v)
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(query.items()))


def paginate(request, rows, *, default: int, maximum: int) -> Page:
    """One page of `rows` (a QuerySet or a list) by the request's `limit` and `offset`."""
    q = request.GET
    limit = min(P.integer(q.get("limit"), "limit", default=default, minimum=1), maximum)
    offset = P.integer(q.get("offset"), "offset", default=0, minimum=0, maximum=10 ** 9)
    count = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
    page = list(rows[offset:offset + limit])
    nxt = _url(request, limit=limit, offset=offset + limit) if offset + len(page) < count else None
    prev = _url(request, limit=limit, offset=max(0, offset - limit)) if offset > 0 else None
    return Page(rows=page, count=count, limit=limit, offset=offset, maximum=maximum, next=nxt, previous=prev)


def with_headers(response, page: Page):
    """The response with the page's paging headers (for a list answered as a JSON array)."""
    for k, v in page.headers().items():
        response[k] = v
    return response


def feature_collection(name: str, page: Page, features_text: str) -> str:
    """A GeoJSON FeatureCollection (text) named `name` around one page of features (the JSON
    array text), with numberMatched / numberReturned and next / prev links."""
    import json

    links = [{"href": url, "rel": rel, "type": "application/geo+json"}
             for rel, url in (("next", page.next), ("prev", page.previous)) if url]
    head = json.dumps({"type": "FeatureCollection", "name": name, "numberMatched": page.count,
                       "numberReturned": len(page.rows), "limit": page.limit, "offset": page.offset,
                       "truncated": page.truncated, "links": links}, ensure_ascii=False)
    return head[:-1] + ',"features":' + features_text + "}"


def envelope(page: Page, results: list) -> dict:
    """The paging of a list answered as an object: count, limit, offset, next, previous, results."""
    return {"count": page.count, "limit": page.limit, "offset": page.offset, "next": page.next,
            "previous": page.previous, "results": results}
