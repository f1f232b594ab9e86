from django.urls import path

from . import views

urlpatterns = [
    path("grids/", views.GridListView.as_view(), name="grid-list"),
    path("grids/export/", views.GridExportView.as_view(), name="grid-export"),
    path("grids/<int:pk>/", views.GridDetailView.as_view(), name="grid-detail"),
    path("grids/<int:pk>/children/", views.GridChildrenView.as_view(), name="grid-children"),
    path("grids/<int:pk>/ancestors/", views.GridAncestorsView.as_view(), name="grid-ancestors"),
    path("grids/<int:pk>/coverage/", views.GridCoverageView.as_view(), name="grid-coverage"),
]
