from django.urls import path

from . import views

urlpatterns = [
    path("subjects/", views.subjects_page, name="subjects"),
    path("service-card/", views.service_card_page, name="service-card"),
]
