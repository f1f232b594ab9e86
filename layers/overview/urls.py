from django.urls import path

from . import views

urlpatterns = [
    path("overview/", views.overview_page, name="overview-page"),
]
