"""The project's URLs with the audit pages mounted where the project mounts them
(``manage/account/``), for as long as cheeseshop/urls.py does not do it itself."""

from django.urls import include, path

from cheeseshop.urls import urlpatterns as project_urlpatterns

MOUNTED = any(getattr(pattern, "namespace", None) == "audit" for pattern in project_urlpatterns)

urlpatterns = (
    project_urlpatterns
    if MOUNTED
    else [path("manage/account/", include("cheeseshop.audit.urls")), *project_urlpatterns]
)
