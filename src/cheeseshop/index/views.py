"""Read-side views: the simple index, PyPI's JSON API and the stored files.

All are public, anonymous and cacheable; none touches the session or the user. Each hands the
request's parts to a service that builds the answer (``cheeseshop.index.http``).
"""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.views.decorators.http import require_safe
from packaging.utils import canonicalize_name

from cheeseshop.index import files, http, json_api
from cheeseshop.index.services import simple_detail_response, simple_index_response
from cheeseshop.site import absolute_url


def _if_none_match(request: HttpRequest) -> str:
    return request.META.get("HTTP_IF_NONE_MATCH", "")


def _normalized_redirect(view_name: str, **kwargs) -> HttpResponse:
    return http.with_cors(HttpResponsePermanentRedirect(reverse(view_name, kwargs=kwargs)))


@require_safe
def simple_index(request: HttpRequest) -> HttpResponse:
    answer = simple_index_response(request.META.get("HTTP_ACCEPT", ""), _if_none_match(request))
    return http.django_response(request, answer)


@require_safe
def simple_detail(request: HttpRequest, name: str) -> HttpResponse:
    normalized_name = canonicalize_name(name)
    if normalized_name != name:
        return _normalized_redirect("index:simple-detail", name=normalized_name)
    answer = simple_detail_response(
        normalized_name, request.META.get("HTTP_ACCEPT", ""), _if_none_match(request)
    )
    return http.django_response(request, answer)


def _json_api(request: HttpRequest, name: str, version: str | None) -> HttpResponse:
    normalized_name = canonicalize_name(name)
    if normalized_name != name:
        if version is None:
            return _normalized_redirect("index:json-project", name=normalized_name)
        return _normalized_redirect("index:json-release", name=normalized_name, version=version)
    answer = json_api.json_api_response(
        normalized_name, version, _if_none_match(request), absolute_url=absolute_url
    )
    return http.django_response(request, answer)


@require_safe
def json_project(request: HttpRequest, name: str) -> HttpResponse:
    return _json_api(request, name, None)


@require_safe
def json_release(request: HttpRequest, name: str, version: str) -> HttpResponse:
    return _json_api(request, name, version)


@require_safe
def package_file(request: HttpRequest, path: str) -> HttpResponse:
    """A stored distribution, or a wheel's core metadata (PEP 658), by storage path."""
    answer = files.package_file_response(path, _if_none_match(request), request.method)
    return http.django_response(request, answer)
