"""Read-side views: the simple index, PyPI's JSON API and the stored files.

All are public, anonymous and cacheable; none touches the session or the user.
"""

import json
import logging
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import storages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from packaging.utils import canonicalize_name

from cheeseshop.index import json_api
from cheeseshop.index.negotiation import if_none_match_matches
from cheeseshop.index.services import (
    CORS_HEADERS,
    SimpleResponse,
    content_etag,
    simple_detail_response,
    simple_index_response,
)
from cheeseshop.packaging.models import File, Project, ProjectStatus

logger = logging.getLogger(__name__)

# Stored files never change (their path holds their blake2b digest).
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
DISTRIBUTION_CONTENT_TYPE = "application/octet-stream"
# Core metadata is RFC 822 text in UTF-8; pip and uv read the body and ignore the type.
METADATA_CONTENT_TYPE = "text/plain; charset=utf-8"
METADATA_SUFFIX = ".metadata"


def _to_http_response(request: HttpRequest, answer: SimpleResponse) -> HttpResponse:
    # HEAD keeps every header (Content-Length included) and drops the body.
    body = b"" if request.method == "HEAD" else answer.body
    response = HttpResponse(body, status=answer.status)
    del response["Content-Type"]
    for header, value in answer.headers:
        response[header] = value
    return response


def _permanent_redirect(location: str) -> HttpResponse:
    response = HttpResponsePermanentRedirect(location)
    for header, value in CORS_HEADERS:
        response[header] = value
    return response


@require_safe
def simple_index(request: HttpRequest) -> HttpResponse:
    answer = simple_index_response(
        request.META.get("HTTP_ACCEPT", ""), request.META.get("HTTP_IF_NONE_MATCH", "")
    )
    return _to_http_response(request, answer)


@require_safe
def simple_detail(request: HttpRequest, name: str) -> HttpResponse:
    normalized_name = canonicalize_name(name)
    if normalized_name != name:
        return _permanent_redirect(
            reverse("index:simple-detail", kwargs={"name": normalized_name})
        )
    answer = simple_detail_response(
        normalized_name,
        request.META.get("HTTP_ACCEPT", ""),
        request.META.get("HTTP_IF_NONE_MATCH", ""),
    )
    return _to_http_response(request, answer)


def _json_not_found(message: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"message": message}), status=404, content_type="application/json"
    )
    for header, value in CORS_HEADERS:
        response[header] = value
    return response


def _json_api(request: HttpRequest, name: str, version: str | None) -> HttpResponse:
    normalized_name = canonicalize_name(name)
    if normalized_name != name:
        if version is None:
            location = reverse("index:json-project", kwargs={"name": normalized_name})
        else:
            location = reverse(
                "index:json-release", kwargs={"name": normalized_name, "version": version}
            )
        return _permanent_redirect(location)
    project = (
        Project.objects.filter(normalized_name=normalized_name)
        .exclude(status=ProjectStatus.QUARANTINED)
        .first()
    )
    if project is None:
        return _json_not_found(
            _("No project named “%(name)s” is on this index.") % {"name": normalized_name}
        )
    files_root = f"{get_script_prefix()}packages/"
    document = json_api.build_document(
        project,
        version,
        web_url=lambda path: request.build_absolute_uri(f"{get_script_prefix()}{path}"),
        download_url=lambda path: request.build_absolute_uri(files_root + quote(path)),
    )
    if document is None:
        if version is None:
            message = _("Project “%(name)s” has no releases.") % {"name": normalized_name}
        else:
            message = _("Project “%(name)s” has no release “%(version)s”.") % {
                "name": normalized_name,
                "version": version,
            }
        return _json_not_found(message)
    body = json.dumps(document).encode()
    etag = content_etag(body)
    headers = [
        ("ETag", f'"{etag}"'),
        ("Cache-Control", f"public, max-age={settings.CHEESESHOP_SIMPLE_MAX_AGE}"),
        ("X-PyPI-Last-Serial", str(project.last_serial)),
        *CORS_HEADERS,
    ]
    if if_none_match_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        answer = SimpleResponse(304, headers, b"")
    else:
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        answer = SimpleResponse(200, headers, body)
    return _to_http_response(request, answer)


@require_safe
def json_project(request: HttpRequest, name: str) -> HttpResponse:
    return _json_api(request, name, None)


@require_safe
def json_release(request: HttpRequest, name: str, version: str) -> HttpResponse:
    return _json_api(request, name, version)


def _is_safe_storage_path(path: str) -> bool:
    # Paths are looked up as File rows, never handed to storage as given; this only saves a
    # query on obvious probing.
    return not path.startswith("/") and all(
        segment not in {"", ".", ".."} for segment in path.split("/")
    )


def _served_file(path: str) -> tuple[str, str, int | None, str] | None:
    """``(storage path, sha256, size or None, content type)`` of a file the index serves."""
    if not _is_safe_storage_path(path):
        return None
    served = File.objects.exclude(release__project__status=ProjectStatus.QUARANTINED)
    row = served.filter(path=path).values_list("sha256_digest", "size").first()
    if row is not None:
        sha256, size = row
        return path, sha256, size, DISTRIBUTION_CONTENT_TYPE
    if path.endswith(METADATA_SUFFIX):
        digest = (
            served.filter(path=path.removesuffix(METADATA_SUFFIX))
            .exclude(metadata_sha256_digest="")
            .values_list("metadata_sha256_digest", flat=True)
            .first()
        )
        if digest is not None:
            return path, digest, None, METADATA_CONTENT_TYPE
    return None


def _file_not_found() -> HttpResponse:
    response = HttpResponse(
        _("No such file is on this index."), status=404, content_type="text/plain; charset=utf-8"
    )
    for header, value in CORS_HEADERS:
        response[header] = value
    return response


@require_safe
def package_file(request: HttpRequest, path: str) -> HttpResponse:
    """A stored distribution, or a wheel's core metadata (PEP 658), by storage path."""
    served = _served_file(path)
    if served is None:
        return _file_not_found()
    storage_path, sha256, size, content_type = served
    headers = [
        ("ETag", f'"{sha256}"'),
        ("Cache-Control", IMMUTABLE_CACHE_CONTROL),
        *CORS_HEADERS,
    ]
    if if_none_match_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), sha256):
        return _to_http_response(request, SimpleResponse(304, headers, b""))
    storage = storages["packages"]
    headers.append(("Content-Type", content_type))
    try:
        if size is None:
            # Core metadata is small: read it whole to know its length.
            with storage.open(storage_path, "rb") as stored:
                body = stored.read()
            headers.append(("Content-Length", str(len(body))))
            return _to_http_response(request, SimpleResponse(200, headers, body))
        headers.append(("Content-Length", str(size)))
        if request.method == "HEAD":
            return _to_http_response(request, SimpleResponse(200, headers, b""))
        response = FileResponse(storage.open(storage_path, "rb"), content_type=content_type)
    except FileNotFoundError:
        logger.error("File %s is in the database but missing from storage", storage_path)
        return _file_not_found()
    for header, value in headers:
        response[header] = value
    return response
