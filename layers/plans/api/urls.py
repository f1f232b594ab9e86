from django.urls import path

from . import views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/reference/", views.PlanReferenceView.as_view(), name="plan-reference"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/validate/", views.PlanValidateView.as_view(), name="plan-validate"),
    path("plans/<int:pk>/impact/", views.PlanImpactView.as_view(), name="plan-impact"),
    path("plans/<int:pk>/grids/<int:gid>/", views.PlanGridView.as_view(), name="plan-grid"),
    path("plans/<int:pk>/split/", views.PlanSplitView.as_view(), name="plan-split"),
    path("plans/<int:pk>/merge/", views.PlanMergeView.as_view(), name="plan-merge"),
    path("plans/<int:pk>/draw/", views.PlanDrawView.as_view(), name="plan-draw"),
    path("plans/<int:pk>/undo/", views.PlanUndoView.as_view(), name="plan-undo"),
    path("plans/<int:pk>/redo/", views.PlanRedoView.as_view(), name="plan-redo"),
    path("plans/<int:pk>/discard/", views.PlanDiscardView.as_view(), name="plan-discard"),
    path("plans/<int:pk>/autopartition/", views.PlanAutopartitionView.as_view(), name="plan-autopartition"),
    path("plans/<int:pk>/publish/", views.PlanPublishView.as_view(), name="plan-publish"),
]
