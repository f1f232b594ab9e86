"""The edge of the service: request bodies and URL values are checked before any view runs.

- JSON bodies are parsed strictly (no NaN/Infinity), with a bounded nesting depth, no NUL
  characters, and as an object (a view that takes a top-level array says so with
  `accepts_json_array = True`); form and multipart bodies carry no NUL either.
- A query string with a NUL character is refused with 400 (no parameter of this service can
  hold one, and PostgreSQL cannot compare text with it).
- An integer path value beyond the database's bigint names nothing: 404 before the view.
Each is a validation with a reason, not a catch-all: errors inside views still surface.
"""
from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from .params import BIGINT_MAX, depth, has_nul


def _check_body(data, view, *, json_body: bool):
    if json_body and not isinstance(data, dict) and not getattr(view, "accepts_json_array", False):
        raise ParseError(_("The body must be a JSON object"))
    limit = settings.GEOGRID_MAX_JSON_DEPTH
    if json_body and depth(data, limit) > limit:
        raise ParseError(_("The body is nested deeper than %(n)d levels") % {"n": limit})
    values = list(data.lists()) if hasattr(data, "lists") else data
    if has_nul(values):
        raise ParseError(_("The body must not contain NUL characters"))
    return data


class SafeJSONParser(JSONParser):
    """DRF's strict JSON parser, plus the checks above. Python's json module recurses per
    nesting level: a deep enough body raises RecursionError, which is a bad body, not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The body is nested too deeply"))
        return _check_body(data, (parser_context or {}).get("view"), json_body=True)


class SafeFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _check_body(super().parse(stream, media_type, parser_context), None, json_body=False)


class SafeMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _check_body(parsed.data, None, json_body=False)
        return parsed


class EdgeValidationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", "") \
                or any(has_nul(k) or has_nul(v) for k, v in request.GET.lists()):
            message = _("Query parameters must not contain NUL characters")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "rule": "bad_parameter"}, status=400,
                                    json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(message)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in list(view_args) + list(view_kwargs.values()):
            if isinstance(value, int) and not -BIGINT_MAX <= value <= BIGINT_MAX:
                raise Http404(_("No such record"))
        return None
