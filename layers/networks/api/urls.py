from django.urls import path

from . import views

urlpatterns = [
    path("networks/party/grids/", views.PartyGridListView.as_view(), name="party-grid-list"),
    path("networks/party/matters/", views.PartyMatterListView.as_view(), name="party-matter-list"),
    path("networks/party/matters/<int:pk>/", views.PartyMatterDetailView.as_view(), name="party-matter-detail"),
]
