from django.urls import path

from . import views

urlpatterns = [
    path("incidents/", views.incident_page, name="incident-page"),
]
