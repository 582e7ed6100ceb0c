"""Serving TUF metadata (/tuf/) and targets at their hash-prefixed names.

Versioned metadata and hash-prefixed targets never change: cacheable forever. ``timestamp.json``
changes with every publish: a short cache lifetime. Unknown names (including the next root
version, which ngclient probes for) are 404, never 500.
"""

import hashlib
import re

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cheeseshop.index import views as index_views
from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.index.negotiation import if_none_match_matches
from cheeseshop.packaging.models import File, ProjectStatus
from cheeseshop.tuf import conf

IMMUTABLE = "public, max-age=31536000, immutable"
METADATA_NAME = re.compile(r"\A[1-9][0-9]{0,9}\.[A-Za-z0-9-]{1,32}\.json\Z")
PAGE_TYPES = {
    "json": "application/vnd.pypi.simple.v1+json",
    "html": "application/vnd.pypi.simple.v1+html",
}


def _not_found(message: str) -> HttpResponse:
    response = HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def _respond(request: HttpRequest, body: bytes, etag: str, cache_control: str, ctype: str):
    if if_none_match_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(b"" if request.method == "HEAD" else body, content_type=ctype)
        response["Content-Length"] = str(len(body))
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = cache_control
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def timestamp(request: HttpRequest) -> HttpResponse:
    try:
        body = (conf.metadata_dir() / "timestamp.json").read_bytes()
    except FileNotFoundError:
        return _not_found(_("This index does not publish TUF metadata."))
    cache_control = f"public, max-age={conf.timestamp_max_age()}"
    return _respond(
        request, body, hashlib.sha256(body).hexdigest(), cache_control, "application/json"
    )


@require_safe
def versioned_metadata(request: HttpRequest, name: str) -> HttpResponse:
    """``<version>.<role>.json``: immutable once written, so its name is its ETag."""
    if not METADATA_NAME.match(name):
        return _not_found(_("No TUF metadata file is named “%(name)s”.") % {"name": name})
    path = conf.metadata_dir() / name
    etag = name.removesuffix(".json")
    if if_none_match_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag) and path.exists():
        return _respond(request, b"", etag, IMMUTABLE, "application/json")
    try:
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        return _not_found(_("No TUF metadata file is named “%(name)s”.") % {"name": name})
    if request.method == "HEAD":
        size = path.stat().st_size
        handle.close()
        response = HttpResponse(content_type="application/json")
        response["Content-Length"] = str(size)
    else:
        response = FileResponse(handle, content_type="application/json")
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = IMMUTABLE
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def hashed_package_file(request: HttpRequest, directory: str, digest: str, filename: str):
    """``/packages/<dir>/<blake2b-256>.<filename>``: the stored file, when the digest is its.

    Anything else is handed to the ordinary ``/packages/<path>`` view, so this route can
    never hide a stored file whose name happens to look hash-prefixed.
    """
    storage_path = f"{directory}{filename}"
    if File.objects.filter(path=storage_path, blake2_256_digest=digest).exists():
        return index_views.package_file(request, storage_path)
    return index_views.package_file(request, f"{directory}{digest}.{filename}")


@require_safe
def hashed_simple_page(request: HttpRequest, name: str, digest: str, kind: str):
    """``/simple/<name>/<blake2b-256>.vnd.pypi.simple.v1.<json|html>``: the stored page
    bytes, when they still hash to ``digest`` (a newer page has a newer name)."""
    row = (
        SimpleDetailPage.objects.filter(project__normalized_name=name)
        .exclude(project__status=ProjectStatus.QUARANTINED)
        .values_list(kind, flat=True)
        .first()
    )
    body = bytes(row) if row is not None else None
    if body is None or hashlib.blake2b(body, digest_size=32).hexdigest() != digest:
        return _not_found(_("This simple page version is not on this index."))
    return _respond(request, body, digest, IMMUTABLE, PAGE_TYPES[kind])
