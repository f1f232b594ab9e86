from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/run/", views.import_run, name="import-run"),
    path("imports/<int:pk>/status/", views.import_status, name="import-status"),
]
