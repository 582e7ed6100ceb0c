"""Only the index's routes, so these tests do not depend on the rest of the site."""

from django.urls import include, path

urlpatterns = [path("", include("cheeseshop.index.urls"))]
