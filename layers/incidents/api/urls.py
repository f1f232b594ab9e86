from django.urls import path

from . import views

urlpatterns = [
    path("incidents/", views.IncidentListCreateView.as_view(), name="incident-list"),
    path("incidents/geojson/", views.GeoJSONView.as_view(), name="incident-geojson"),
    path("incidents/export/", views.ExportView.as_view(), name="incident-export"),
    path("incidents/stats/", views.StatsView.as_view(), name="incident-stats"),
    path("incidents/types/", views.TypeListView.as_view(), name="incident-types"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/photos/<int:photo_pk>/", views.IncidentPhotoView.as_view(), name="incident-photo"),
    path("incidents/<int:pk>/transition/", views.IncidentTransitionView.as_view(), name="incident-transition"),
    path("incidents/<int:pk>/move/", views.IncidentMoveView.as_view(), name="incident-move"),
    path("incidents/<int:pk>/escalate/", views.IncidentEscalateView.as_view(), name="incident-escalate"),
    path("incidents/<int:pk>/escalation/", views.EscalationRespondView.as_view(), name="incident-escalation"),
    path("incidents/<int:pk>/rating/", views.IncidentRateView.as_view(), name="incident-rating"),
]
