from django.urls import path

from . import views

urlpatterns = [
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/<int:pk>/photo/", views.StaffPhotoView.as_view(), name="staff-photo"),
    path("me/", views.MeView.as_view(), name="me"),
]
