from django.urls import path

from . import views

urlpatterns = [
    path("patrol/", views.patrol_page, name="patrol"),
    path("patrols/map/", views.patrol_map_page, name="patrol-map"),
]
