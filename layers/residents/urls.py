from django.urls import path

from . import views

urlpatterns = [
    path("public/report/", views.report_page, name="public-report"),
    path("public/track/", views.track_page, name="public-track"),
]
