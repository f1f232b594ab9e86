from django.urls import path

from . import views

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("outbox/", views.outbox_page, name="outbox"),
    path("offline/", views.offline_page, name="offline"),
]
