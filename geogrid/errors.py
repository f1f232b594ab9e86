"""geogrid's own error pages, in the user's language (Chinese by default), never Django's
technical page. API paths answer in JSON, as the API does everywhere else."""
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _page(request, status: int, title: str, message: str):
    if _api(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, f"{status}.html", {"title": title, "message": message, "status": status}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, _("Bad request"), _("The request could not be understood. Check what was entered and try again."))


def permission_denied(request, exception=None):
    return _page(request, 403, _("Not allowed"), _("Your role does not give access to this page."))


def page_not_found(request, exception=None):
    return _page(request, 404, _("Not found"),
                 _("There is no such page, or it lies outside the grids you work in."))


def server_error(request):
    """No context processors and no database: a 500 may come from either being down."""
    message = _("Something went wrong on the server. What you entered was not lost if it was already sent; try again later.")
    if _api(request):
        return JsonResponse({"detail": message}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render({"title": _("Server error"), "message": message}))
