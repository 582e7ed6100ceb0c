from django.urls import path

from cheeseshop.index import views

app_name = "index"

urlpatterns = [
    path("simple/", views.simple_index, name="simple-index"),
    path("simple/<str:name>/", views.simple_detail, name="simple-detail"),
    path("pypi/<str:name>/json", views.json_project, name="json-project"),
    path("pypi/<str:name>/json/", views.json_project),
    path("pypi/<str:name>/<str:version>/json", views.json_release, name="json-release"),
    path("pypi/<str:name>/<str:version>/json/", views.json_release),
    path("packages/<path:path>", views.package_file, name="package-file"),
]
