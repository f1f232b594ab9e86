from django.urls import path

from . import views

urlpatterns = [
    path("meetings/", views.meetings_page, name="meetings-page"),
    path("meetings/<int:pk>/", views.meeting_page, name="meeting-page"),
    path("meetings/<int:pk>/print/", views.meeting_print, name="meeting-print"),
    path("ledgers/", views.ledger_page, name="ledger-page"),
]
