from django.urls import path

from . import views

urlpatterns = [
    path("queue/", views.queue_page, name="field-queue"),
    path("incidents/<int:pk>/", views.incident_page, name="incident-page-detail"),
    path("report/", views.report_page, name="field-report"),
    path("visits/", views.visits_page, name="field-visits"),
]
