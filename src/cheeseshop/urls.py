from django.contrib import admin
from django.urls import include, path

from cheeseshop.upload.views import legacy_redirect

urlpatterns = [
    path("legacy", legacy_redirect),
    path("legacy/", include("cheeseshop.upload.urls")),
    path("", include("cheeseshop.index.urls")),
    path("admin/", admin.site.urls),
    path("account/", include("allauth.urls")),
]
