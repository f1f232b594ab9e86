from django.urls import path

from . import views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/validate/", views.PlanValidateView.as_view(), name="plan-validate"),
    path("plans/<int:pk>/impact/", views.PlanImpactView.as_view(), name="plan-impact"),
    path("plans/<int:pk>/grids/<int:gid>/", views.PlanGridView.as_view(), name="plan-grid"),
] + [
    path(f"plans/<int:pk>/{action}/", views.PlanActionView.as_view(action=action), name=f"plan-{action}")
    for action in ("split", "merge", "draw", "undo", "redo", "discard", "autopartition", "publish")
]
