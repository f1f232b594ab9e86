from django.urls import path

from . import views

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("meetings/<int:pk>/agenda/", views.MeetingAgendaView.as_view(), name="meeting-agenda"),
    path("meetings/<int:pk>/decisions/", views.DecisionListView.as_view(), name="meeting-decisions"),
    path("meetings/<int:pk>/decisions/<int:decision_pk>/incident/", views.DecisionIncidentView.as_view(),
         name="decision-incident"),
    path("meetings/<int:pk>/decisions/<int:decision_pk>/task/", views.DecisionTaskView.as_view(), name="decision-task"),
    path("meetings/<int:pk>/decisions/<int:decision_pk>/done/", views.DecisionDoneView.as_view(), name="decision-done"),
    path("ledgers/<int:grid_id>/", views.LedgerView.as_view(), name="ledger"),
]
