from django.urls import path

from cheeseshop.operations import views

app_name = "operations"

urlpatterns = [
    path("_/health", views.health, name="health"),
    path("_/ready", views.ready, name="ready"),
    path("_/metrics", views.metrics, name="metrics"),
]
