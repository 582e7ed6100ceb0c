from django.http import HttpResponse
from django.urls import path

app_name = "web"


def _placeholder(request, *args, **kwargs):  # replaced by the web pages
    return HttpResponse("")


urlpatterns = [
    path("", _placeholder, name="home"),
    path("search/", _placeholder, name="search"),
]
