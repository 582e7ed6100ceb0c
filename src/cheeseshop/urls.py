from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("legacy/", include("cheeseshop.upload.urls")),
    path("", include("cheeseshop.index.urls")),
    path("admin/", admin.site.urls),
    path("account/", include("allauth.urls")),
]
