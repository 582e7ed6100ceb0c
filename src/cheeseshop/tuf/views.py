"""Serving TUF metadata (/tuf/) and targets at their hash-prefixed names.

Versioned metadata and hash-prefixed targets never change: cacheable forever. ``timestamp.json``
changes with every publish: a short cache lifetime. Unknown names (including the next root
version, which ngclient probes for) are 404, never 500. Answers are built as the index builds
its own (``cheeseshop.index.http``); targets are the index's stored files and pages. Metadata
is read from the database (``cheeseshop.tuf.store``): every node serves the same bytes.
"""

import hashlib
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cheeseshop.index import http
from cheeseshop.index.files import package_file_response
from cheeseshop.index.negotiation import CONTENT_TYPES, HTML_V1, JSON_V1
from cheeseshop.index.services import stored_page
from cheeseshop.packaging.models import File
from cheeseshop.tuf import store

METADATA_NAME = re.compile(r"\A[1-9][0-9]{0,9}\.[A-Za-z0-9-]{1,32}\.json\Z")
PAGE_MEDIA_TYPES = {"json": JSON_V1, "html": HTML_V1}


def _if_none_match(request: HttpRequest) -> str:
    return request.META.get("HTTP_IF_NONE_MATCH", "")


def _not_found(message: str) -> http.Answer:
    return http.not_found(message, cache_control=http.NOT_CACHED)


def _metadata_not_found(name: str) -> http.Answer:
    return _not_found(_("No TUF metadata file is named “%(name)s”.") % {"name": name})


@require_safe
def timestamp(request: HttpRequest) -> HttpResponse:
    body = store.read(store.TIMESTAMP)
    if body is None:
        answer = _not_found(_("This index does not publish TUF metadata."))
    else:
        answer = http.stored(
            body,
            etag=hashlib.sha256(body).hexdigest(),
            content_type=http.JSON,
            cache_control=f"public, max-age={settings.CHEESESHOP_TUF_TIMESTAMP_MAX_AGE}",
            if_none_match=_if_none_match(request),
        )
    return http.django_response(request, answer)


def _versioned_metadata(name: str, if_none_match: str) -> http.Answer:
    body = store.read(name) if METADATA_NAME.match(name) else None
    if body is None:
        return _metadata_not_found(name)
    return http.stored(
        body,
        etag=name.removesuffix(".json"),  # immutable once written: its name is its ETag
        content_type=http.JSON,
        cache_control=http.IMMUTABLE,
        if_none_match=if_none_match,
    )


@require_safe
def versioned_metadata(request: HttpRequest, name: str) -> HttpResponse:
    """``<version>.<role>.json``."""
    answer = _versioned_metadata(name, _if_none_match(request))
    return http.django_response(request, answer)


@require_safe
def hashed_package_file(request: HttpRequest, directory: str, digest: str, filename: str):
    """``/packages/<dir>/<blake2b-256>.<filename>``: the stored file, when the digest is its.

    Any other such path is an ordinary ``/packages/<path>``, so this route can never hide a
    stored file whose name happens to look hash-prefixed.
    """
    storage_path = f"{directory}{filename}"
    if not File.objects.filter(path=storage_path, blake2_256_digest=digest).exists():
        storage_path = f"{directory}{digest}.{filename}"
    answer = package_file_response(storage_path, _if_none_match(request), request.method)
    return http.django_response(request, answer)


@require_safe
def hashed_simple_page(request: HttpRequest, name: str, digest: str, kind: str):
    """``/simple/<name>/<blake2b-256>.vnd.pypi.simple.v1.<json|html>``: the stored page
    bytes, when they still hash to ``digest`` (a newer page has a newer name)."""
    media_type = PAGE_MEDIA_TYPES[kind]
    body = stored_page(name, media_type)
    if body is None or hashlib.blake2b(body, digest_size=32).hexdigest() != digest:
        answer = _not_found(_("This simple page version is not on this index."))
    else:
        answer = http.stored(
            body,
            etag=digest,
            content_type=CONTENT_TYPES[media_type],
            cache_control=http.IMMUTABLE,
            if_none_match=_if_none_match(request),
        )
    return http.django_response(request, answer)
