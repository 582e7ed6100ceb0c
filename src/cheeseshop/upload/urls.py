from django.urls import path

from cheeseshop.upload import views

app_name = "upload"

urlpatterns = [
    path("", views.legacy_upload, name="legacy"),
]
