"""Middleware for the session lifetime and the security headers of every response.

- Sessions end after GEOGRID_SESSION_IDLE_SECONDS without a request (idle timeout) and, whatever
  the activity, GEOGRID_SESSION_ABSOLUTE_SECONDS after the login (absolute timeout). The session
  is saved at most once a minute to move the idle deadline, not on every request.
- Content-Security-Policy from settings.GEOGRID_CSP on every response that has none, with a
  fresh nonce per response added to `script-src`: inline scripts run only when they carry it
  (`<script nonce="{{ request.csp_nonce }}">` in templates, maps.views for folium's output), so
  the policy needs no 'unsafe-inline' for scripts and injected markup cannot run a script.
- `Cache-Control: no-store` on every answer to a request with a session or credentials that did not
  choose its own caching: such answers carry personal data or scope-dependent rows, and must not
  stay in a browser or proxy cache.
"""
import re
import secrets
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
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce
        response = self.get_response(request)
        if self.csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp_with_nonce(self.csp, nonce)
        # Decided from the request's credentials, not request.user: loading the user would cost
        # the lean views (locate) the queries they avoid.
        personal = settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META
        if personal and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


_SCRIPT_SRC = re.compile(r"(script-src\b[^;]*)")


def csp_with_nonce(csp: str, nonce: str) -> str:
    """The policy with `'nonce-<nonce>'` added to its script-src (or to a new script-src that
    keeps default-src's 'self' when the policy has none)."""
    if _SCRIPT_SRC.search(csp):
        return _SCRIPT_SRC.sub(lambda m: f"{m.group(1)} 'nonce-{nonce}'", csp, count=1)
    return f"{csp}; script-src 'self' 'nonce-{nonce}'"


_SCRIPT_TAG = re.compile(r"<script(?![^>]*\bnonce=)", re.I)


def nonce_scripts(html: str, nonce: str) -> str:
    """Give every <script> tag of server-made markup (folium's rendered map parts) the
    response's nonce. Only for markup the server built, never for text a user wrote."""
    return _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)
