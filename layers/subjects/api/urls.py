from django.urls import path

from . import views

urlpatterns = [
    path("subjects/", views.SubjectListView.as_view(), name="subject-list"),
    path("subjects/export/", views.SubjectExportView.as_view(), name="subject-export"),
    path("subjects/<int:pk>/", views.SubjectDetailView.as_view(), name="subject-detail"),
    path("subjects/<int:pk>/reveal/", views.SubjectRevealView.as_view(), name="subject-reveal"),
    path("visits/", views.VisitListView.as_view(), name="visit-list"),
    path("visits/due/", views.VisitDueView.as_view(), name="visit-due"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("reveal-log/", views.RevealLogView.as_view(), name="reveal-log"),
    path("service-card/", views.ServiceCardView.as_view(), name="service-card"),
]
