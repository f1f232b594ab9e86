from django.urls import path

from . import views

urlpatterns = [
    path("patrols/", views.PatrolListStartView.as_view(), name="patrol-list"),
    path("patrols/geojson/", views.PatrolGeoJSONView.as_view(), name="patrol-geojson"),
    path("patrols/<int:pk>/", views.PatrolDetailView.as_view(), name="patrol-detail"),
    path("patrols/<int:pk>/points/", views.PatrolPointsView.as_view(), name="patrol-points"),
    path("patrols/<int:pk>/end/", views.PatrolEndView.as_view(), name="patrol-end"),
]
