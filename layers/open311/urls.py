from django.urls import path, register_converter

from . import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "fmt")

urlpatterns = [
    path("open311/v2/services.<fmt:fmt>", views.ServicesView.as_view(), name="open311-services"),
    path("open311/v2/services/<str:code>.<fmt:fmt>", views.ServiceDefinitionView.as_view(), name="open311-service"),
    path("open311/v2/requests.<fmt:fmt>", views.RequestsView.as_view(), name="open311-requests"),
    path("open311/v2/requests/<str:rid>.<fmt:fmt>", views.RequestView.as_view(), name="open311-request"),
    path("open311/v2/tokens/<str:token>.<fmt:fmt>", views.TokenView.as_view(), name="open311-token"),
]
