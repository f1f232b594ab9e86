import mimetypes

from django.http import FileResponse, Http404
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.staff.scope import scope_for
from layers.staff.selectors import assignment_list, assignment_list_own, staff_photo_get

# Only raster images are served: a stored SVG or HTML file would run script on this origin.
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}


class StaffListView(APIView):
    """Assignments on grids in your scope: who answers for which grid, with which duties.
    ?grid=<code prefix>&role="""

    def get(self, request):
        qs = assignment_list(user=request.user, grid_code=request.query_params.get("grid") or None,
                             role=request.query_params.get("role") or None)
        return Response([{"username": a.user.username, "name": a.user.get_full_name() or a.user.username,
                          "role": a.role, "grid_id": a.grid_id, "grid_code": a.grid.code, "grid_name": a.grid.name,
                          "duties": a.duties} for a in qs[:5000]])


class MeView(APIView):
    """The acting user's roles and grids."""

    def get(self, request):
        rows = assignment_list_own(user=request.user)
        return Response({"username": request.user.username, "name": request.user.get_full_name(),
                         "roles": sorted(scope_for(request.user).roles),
                         "assignments": [{"role": a.role, "grid_id": a.grid_id,
                                          "grid_code": a.grid.code if a.grid else None, "duties": a.duties}
                                         for a in rows]})


class _AnyAccept(BaseContentNegotiation):
    """An <img> asks for image/*: answer with the file, and errors as JSON, never 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StaffPhotoView(APIView):
    """Public: the photo of a staff member who agreed to be shown on the service card (亮牌);
    404 for anyone else. The only route to staff photos: MEDIA is not served."""
    permission_classes = [AllowAny]
    authentication_classes = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AnyAccept

    def get(self, request, pk):
        profile = staff_photo_get(pk=pk)
        content_type, _ = mimetypes.guess_type(profile.photo.name)
        if content_type not in PHOTO_TYPES:
            raise Http404
        try:
            response = FileResponse(profile.photo.open("rb"), content_type=content_type)
        except FileNotFoundError:
            raise Http404
        # Short: a withdrawn consent should stop the photo soon, in shared caches too.
        response["Cache-Control"] = "public, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response
