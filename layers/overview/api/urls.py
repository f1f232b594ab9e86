from django.urls import path

from . import views

urlpatterns = [
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("assessments/", views.AssessmentView.as_view(), name="assessment-list"),
]
