from django.urls import path

from . import views

app_name = "maps"

urlpatterns = [
    path("maps/coverage/", views.coverage, name="coverage"),
    path("maps/hotspots/", views.hotspots, name="hotspots"),
    path("maps/special/", views.special, name="special"),
    path("maps/grid/", views.grid_head, name="grid"),
    path("maps/grid/changes/", views.grid_changes, name="grid-changes"),
    path("api/hotspots/", views.HotspotsAPI.as_view(), name="api-hotspots"),
    path("api/exports/", views.ExportJobsAPI.as_view(), name="api-exports"),
    path("api/exports/<int:pk>/", views.ExportJobAPI.as_view(), name="api-export"),
    path("api/exports/<int:pk>/file/", views.ExportFileAPI.as_view(), name="api-export-file"),
]
