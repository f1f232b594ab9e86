import mimetypes

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.core import params as P
from layers.core.paging import paginate, with_headers
from layers.staff.models import ApiToken
from layers.staff.names import person_name
from layers.staff.scope import scope_for
from layers.staff.selectors import assignment_list, assignment_list_own, staff_photo_get, token_get, token_list
from layers.staff.services import token_create, token_revoke

from .serializers import TokenCreatedSerializer, TokenCreateSerializer, TokenSerializer

# Only raster images are served: a stored SVG or HTML file would run script on this origin.
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("grid", str, description="grid code prefix"),
                                                 OpenApiParameter("role", str)], responses=OpenApiTypes.OBJECT))
class StaffListView(APIView):
    """Assignments on grids in your scope: who answers for which grid, with which duties.
    ?grid=<code prefix>&role="""

    def get(self, request):
        qs = assignment_list(user=request.user,
                             grid_code=P.text(request.query_params.get("grid"), "grid", max_length=50),
                             role=P.text(request.query_params.get("role"), "role", max_length=50))
        page = paginate(request, qs, default=5000, maximum=5000)
        return with_headers(Response([{"username": a.user.username, "name": person_name(a.user),
                                       "role": a.role, "grid_id": a.grid_id, "grid_code": a.grid.code,
                                       "grid_name": a.grid.name, "duties": a.duties} for a in page.rows]), page)


@extend_schema_view(get=extend_schema(responses=OpenApiTypes.OBJECT))
class MeView(APIView):
    """The acting user's roles and grids."""

    def get(self, request):
        rows = assignment_list_own(user=request.user)
        return Response({"username": request.user.username, "name": person_name(request.user),
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


@extend_schema_view(get=extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY}))
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


class TokenListView(APIView):
    """Your personal API tokens (for QGIS, GDAL, scripts): list them, or create one. The token is
    shown once, in the answer to its creation."""

    @extend_schema(responses=TokenSerializer(many=True), summary="Your API tokens (never the tokens themselves)")
    def get(self, request):
        page = paginate(request, token_list(user=request.user), default=100, maximum=1000)
        return with_headers(Response(TokenSerializer(page.rows, many=True).data), page)

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer},
                   summary="Create a personal API token; the answer is the only time it is shown")
    def post(self, request):
        # A token cannot mint tokens: a leaked one must not outlive its revocation.
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(_("Create API tokens after logging in with your password."))
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = token_create(user=request.user, name=data.validated_data["name"])
        body = TokenSerializer(token).data | {"token": raw}
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class TokenDetailView(APIView):
    """One of your tokens; DELETE revokes it at once."""

    @extend_schema(responses=TokenSerializer, summary="One of your API tokens")
    def get(self, request, pk):
        return Response(TokenSerializer(token_get(user=request.user, pk=pk)).data)

    @extend_schema(responses={204: None}, summary="Revoke one of your API tokens")
    def delete(self, request, pk):
        token_revoke(token=token_get(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
