"""Rate limits (django-ratelimit, counted in the shared database cache so every worker process
sees the same counts). One decorator per kind of route, rates from settings."""
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited


def _client_key(group, request):
    return request.META.get("REMOTE_ADDR", "")


def _user_or_ip(group, request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return "ip" + request.META.get("REMOTE_ADDR", "")


def ratelimited_response(request, exception=None):
    """429 with the reason (RATELIMIT_VIEW: for views refused by django-ratelimit's decorator)."""
    response = JsonResponse({"detail": _("Too many requests: wait a minute and try again."),
                             "code": "rate_limited"}, status=429, json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = "60"
    return response


def _limited(kind: str, key):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            # A function view gets the request first, a view method after self; a DRF Request
            # knows the user its authentication found (token, basic), so key on that one.
            request = next(a for a in args if hasattr(a, "META"))
            rate = getattr(settings, f"GEOGRID_RATE_{kind.upper()}")
            if rate and is_ratelimited(request, group=f"geogrid.{kind}", key=key, rate=rate, method=ALL,
                                       increment=True):
                return ratelimited_response(request)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def limit_login(view):
    """Login forms: per client address."""
    return _limited("login", _client_key)(view)


def limit_export(view):
    """Exports of rows or files: per user (per address when anonymous)."""
    return _limited("export", _user_or_ip)(view)


def limit_public(view):
    """Routes open to anonymous visitors: per client address."""
    return _limited("public", _client_key)(view)


class RouteRateLimitMiddleware:
    """Rate limits by route name, for routes whose views are not ours to decorate (the login
    forms) or that are open to anyone (GEOGRID_RATE_ROUTES: route name -> (kind, methods)).
    Counted per client address in the shared cache."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.routes = getattr(settings, "GEOGRID_RATE_ROUTES", {})

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        rule = self.routes.get(match.view_name) if match else None
        if rule is None:
            return None
        kind, methods = rule
        if methods and request.method not in methods:
            return None
        rate = getattr(settings, f"GEOGRID_RATE_{kind.upper()}")
        if rate and is_ratelimited(request, group=f"geogrid.{kind}", key=_client_key, rate=rate, method=ALL,
                                   increment=True):
            return ratelimited_response(request)
        return None


def export_refusal(request):
    """For plain views that export: the 429 answer when the user is over the export rate, else None."""
    rate = getattr(settings, "GEOGRID_RATE_EXPORT", "")
    if rate and is_ratelimited(request, group="geogrid.export", key=_user_or_ip, rate=rate, method=ALL,
                               increment=True):
        return ratelimited_response(request)
    return None
