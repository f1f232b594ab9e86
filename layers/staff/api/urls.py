from django.urls import path

from . import views

urlpatterns = [
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/<int:pk>/photo/", views.StaffPhotoView.as_view(), name="staff-photo"),
    path("me/", views.MeView.as_view(), name="me"),
    path("tokens/", views.TokenListView.as_view(), name="token-list"),
    path("tokens/<int:pk>/", views.TokenDetailView.as_view(), name="token-detail"),
]
