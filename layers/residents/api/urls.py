from django.urls import path

from . import views

urlpatterns = [
    path("public/addresses/", views.PublicAddressSearchView.as_view(), name="public-address-search"),
    path("public/reports/", views.PublicReportCreateView.as_view(), name="public-report-create"),
    path("public/reports/<str:code>/", views.PublicReportStatusView.as_view(), name="public-report-status"),
    path("public/reports/<str:code>/rating/", views.PublicReportRatingView.as_view(), name="public-report-rating"),
]
