"""Middleware for the session lifetime and the security headers of every response.

- Sessions end after GEOGRID_SESSION_IDLE_SECONDS without a request (idle timeout) and, whatever
  the activity, GEOGRID_SESSION_ABSOLUTE_SECONDS after the login (absolute timeout). The session
  is saved at most once a minute to move the idle deadline, not on every request.
- Content-Security-Policy from settings.GEOGRID_CSP on every response that has none.
- `Cache-Control: no-store` on every answer to a request with a session or credentials that did not
  choose its own caching: such answers carry personal data or scope-dependent rows, and must not
  stay in a browser or proxy cache.
"""
import time

from django.conf import settings
from django.contrib.auth import logout

LOGIN_AT = "_geogrid_login_at"
SEEN_AT = "_geogrid_seen_at"
# How stale the stored "last seen" may get before it is written again (seconds).
TOUCH_EVERY = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and session.get("_auth_user_id"):
            now = int(time.time())
            idle = int(getattr(settings, "GEOGRID_SESSION_IDLE_SECONDS", 1800))
            absolute = int(getattr(settings, "GEOGRID_SESSION_ABSOLUTE_SECONDS", 8 * 3600))
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT)
            if login_at is None:  # a session from before this middleware, or force_login in tests
                session[LOGIN_AT] = login_at = now
            if now - login_at > absolute or (seen_at is not None and now - seen_at > idle):
                logout(request)
            elif seen_at is None or now - seen_at >= TOUCH_EVERY:
                session[SEEN_AT] = now
        return self.get_response(request)


def session_started(sender, request, user, **kwargs):
    """user_logged_in receiver: the absolute timeout counts from here."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[LOGIN_AT] = now
        session[SEEN_AT] = now


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = getattr(settings, "GEOGRID_CSP", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.csp
        # Decided from the request's credentials, not request.user: loading the user would cost
        # the lean views (locate) the queries they avoid.
        personal = settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META
        if personal and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
