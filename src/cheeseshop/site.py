"""The index's own address: every absolute URL it writes is built from ``settings.BASE_URL``.

A request's ``Host`` header is the client's to write. Built from it, a password-reset link
mailed to bob would point wherever the requester said (``Host: evil.example``), and a page
cached as public would carry one client's host to the next. So emails, the JSON API, the
upload endpoint's redirect and every ``request.build_absolute_uri()`` (allauth's links
included, through ``BaseURLMiddleware``) use the configured base URL instead.
"""

from dataclasses import dataclass
from functools import partial
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.http import HttpRequest


def absolute_url(location: str, *, base_path: str = "/") -> str:
    """``location`` (a path, or an absolute URL left as it is) on this index's base URL."""
    bits = urlsplit(location)
    if bits.scheme and bits.netloc:
        return location
    return urljoin(settings.BASE_URL + base_path, location)


def _request_absolute_uri(request: HttpRequest, location: str | None = None) -> str:
    if location is None:
        location = request.get_full_path()
    return absolute_url(location, base_path=request.path)


class BaseURLMiddleware:
    """Makes ``request.build_absolute_uri()`` answer on the base URL, whatever the Host.

    The request's own ``get_host()`` is untouched: ALLOWED_HOSTS, CSRF's origin check and
    the HTTPS redirect still judge the request as it came.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.build_absolute_uri = partial(_request_absolute_uri, request)
        return self.get_response(request)


@dataclass(frozen=True)
class IndexSite:
    """What emails call ``current_site`` (Django's Site shape), from the settings."""

    name: str
    domain: str


def index_site() -> IndexSite:
    return IndexSite(name=settings.SITE_NAME, domain=urlsplit(settings.BASE_URL).netloc)
