"""The answer to a login refused because of too many wrong passwords (django-axes)."""
import math

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

STATUS = 429


def lockout_message() -> str:
    minutes = math.ceil(float(getattr(settings, "AXES_COOLOFF_TIME", 0.5) or 0) * 60)
    return _("Too many wrong passwords: this account (and the address it was tried from) is locked "
             "for %(minutes)d minutes. Try again later, or ask an administrator to unlock it.") % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """JSON for the API and basic auth, the login page's own look for forms."""
    message = lockout_message()
    minutes = math.ceil(float(getattr(settings, "AXES_COOLOFF_TIME", 0.5) or 0) * 60)
    path = getattr(request, "path", "")
    if path.startswith(("/api/", "/ogc/", "/tiles/", "/open311/")) or "HTTP_AUTHORIZATION" in request.META:
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=STATUS,
                                json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=STATUS)
    response["Retry-After"] = str(minutes * 60)
    return response
