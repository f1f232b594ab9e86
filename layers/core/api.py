"""API plumbing shared by every layer."""
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import RuleViolation


def exception_handler(exc, context):
    """Domain rule violations (their own status, 400 unless a rule says otherwise) and Django
    validation errors become answers with the reason (a Conflict, the state changed under the
    request, is a 409); the page side is middleware.py."""
    if isinstance(exc, RuleViolation):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": "; ".join(exc.messages)}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class FormatByRoute(DefaultContentNegotiation):
    """For views that choose their format themselves (f=, the path's extension or Accept):
    DRF must not answer 406 to a browser's or a GIS client's Accept header."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
