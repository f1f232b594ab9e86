from django.urls import path

from . import views

urlpatterns = [
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("me/", views.MeView.as_view(), name="me"),
]
