from django.urls import path

from . import views

urlpatterns = [
    path("locate/", views.locate, name="address-locate"),
]
