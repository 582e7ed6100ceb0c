"""Include before ``cheeseshop.index.urls``: the hash-prefixed /packages/ route must be tried
before ``packages/<path:path>`` (it falls back to that view for anything it does not own)."""

from django.urls import path, re_path

from cheeseshop.tuf import views

app_name = "tuf"

urlpatterns = [
    path("tuf/timestamp.json", views.timestamp, name="timestamp"),
    re_path(r"^tuf/(?P<name>[^/]+\.json)$", views.versioned_metadata, name="metadata"),
    re_path(
        r"^packages/(?P<directory>(?:[^/]+/)+)(?P<digest>[0-9a-f]{64})\.(?P<filename>[^/]+)$",
        views.hashed_package_file,
        name="hashed-package-file",
    ),
    re_path(
        r"^simple/(?P<name>[^/]+)/(?P<digest>[0-9a-f]{64})\.vnd\.pypi\.simple\.v1\.(?P<kind>json|html)$",
        views.hashed_simple_page,
        name="hashed-simple-page",
    ),
]
