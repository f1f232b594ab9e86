"""How API clients prove who they are: a personal token (Bearer, or as the basic-auth password)
or a password by basic auth. Tokens cost one indexed lookup; passwords go through Django's
authenticate(), where the login brake (django-axes) counts failures.

The first class of DEFAULT_AUTHENTICATION_CLASSES answers the challenge: an anonymous API
request gets 401 with `WWW-Authenticate: Basic realm="geogrid", Bearer realm="geogrid"` (both
schemes in one header, RFC 9110 11.6.1: Django keeps one value per header name), which QGIS and
GDAL need before they send credentials; a client that holds only a token reads that Bearer works."""
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from layers.core.lockout import lockout_message

from .selectors import token_active_get
from .services import TOKEN_PREFIX, token_hash, token_touch

REALM = "geogrid"


def _user_for_token(raw: str):
    token = token_active_get(key_hash=token_hash(raw))
    if token is None:
        raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
    token_touch(token=token)
    return token.user, token


class LockedOut(exceptions.APIException):
    """Too many wrong passwords (django-axes locked the account or address)."""
    status_code = 429
    default_code = "locked_out"


class BasicOrTokenAuthentication(authentication.BasicAuthentication):
    """HTTP basic auth whose password may be a personal API token of that user."""
    www_authenticate_realm = REALM

    def authenticate_header(self, request):
        return challenge()

    def authenticate_credentials(self, userid, password, request=None):
        if password.startswith(TOKEN_PREFIX):
            user, token = _user_for_token(password)
            if getattr(user, get_user_model().USERNAME_FIELD) != userid:
                raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
            return user, token
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            # django-axes marks the request it refused; say so instead of "wrong password".
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(lockout_message())
            raise


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` with a personal API token."""
    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid bearer header: give one token."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
        return _user_for_token(raw)

    def authenticate_header(self, request):
        return f'{self.keyword} realm="{REALM}"'


def challenge() -> str:
    """The WWW-Authenticate value of a 401 from any API route, DRF or not: both schemes."""
    return f'Basic realm="{REALM}", Bearer realm="{REALM}"'


def user_from_authorization(request):
    """For lean views outside DRF: the user an Authorization header (basic with a password or
    token, or Bearer) proves, or None."""
    for cls in (BasicOrTokenAuthentication, BearerTokenAuthentication):
        try:
            found = cls().authenticate(request)
        except exceptions.AuthenticationFailed:
            return None
        if found is not None:
            return found[0]
    return None


# How the schema (/api/schema/) describes these two to clients and fuzzers.
class BasicOrTokenScheme(OpenApiAuthenticationExtension):
    target_class = BasicOrTokenAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "username and password, or username and a personal API token as the password"}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "personal API token (POST /api/tokens/)"}
