from django.http import HttpResponse
from django.urls import path

app_name = "manage"


def _placeholder(request, *args, **kwargs):  # replaced by the management pages
    return HttpResponse("")


urlpatterns = [
    path("projects/", _placeholder, name="projects"),
    path("account/", _placeholder, name="account"),
]
