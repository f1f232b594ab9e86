from django.urls import path

from . import views

urlpatterns = [
    path("party/", views.party_page, name="party-matters"),
    path("party/matters/<int:pk>/", views.party_matter_page, name="party-matter-page"),
]
