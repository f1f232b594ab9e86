from django.conf import settings
from django.utils import translation


class DefaultLanguageMiddleware:
    """Simplified Chinese unless the user chose another language (the set_language view's
    cookie). Unlike LocaleMiddleware this ignores the browser's Accept-Language: intranet
    machines often run English-language browsers while the office works in Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def wants_json(request) -> bool:
    """API routes (and clients that ask for JSON) get JSON; everything else is a page."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def rule_violation_response(request, exc):
    """The one answer to a broken rule outside DRF: JSON for the API, geogrid's error page for
    pages; the status is the rule's (400 unless it says otherwise)."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if wants_json(request):
        return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    return render(request, "core/error.html", {"detail": exc.messages[0], "rule": exc.rule, "status": exc.status},
                  status=exc.status)


class RuleViolationMiddleware:
    """A RuleViolation that leaves a view becomes `rule_violation_response`, so views need no
    hand-made error paths (DRF views go through the same answer in api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        from .errors import RuleViolation

        if isinstance(exc, RuleViolation):
            return rule_violation_response(request, exc)
        return None
