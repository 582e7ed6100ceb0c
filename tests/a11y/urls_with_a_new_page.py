"""The site's URLs and one page more, for the self-test of ``test_page_list.py``."""

from django.http import HttpResponse
from django.urls import path

from cheeseshop.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("a-new-page/", lambda request: HttpResponse("new"))]
