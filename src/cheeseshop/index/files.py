"""Stored distribution files: where they are downloaded from, and serving them by storage path.

A file is served when a ``File`` row of a project the index shows has that path (or, for
``<path>.metadata``, when that file has core metadata, PEP 658); paths are looked up, never
handed to storage as given. Files in a local directory are streamed from it; files in object
storage are not read here at all: the answer is a redirect to the storage's short-lived URL.
"""

import logging
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

from cheeseshop.index import http
from cheeseshop.packaging.models import File
from cheeseshop.packaging.storage import download_url, packages_storage

logger = logging.getLogger(__name__)

METADATA_SUFFIX = ".metadata"
# Where the index's own /packages/ is, seen from a simple page (/simple/<project>/): relative,
# so the stored page bytes (which TUF signs) do not depend on the host they are served from.
FROM_SIMPLE_PAGE = "../../packages/"


def file_url(path: str, *, index_root: str) -> str:
    """The URL of the stored file ``path``: below CHEESESHOP_FILES_URL when files are served
    from elsewhere (a CDN, a bucket), else below ``index_root``, where this index's
    ``/packages/`` is as seen from the page that links to it."""
    base = settings.CHEESESHOP_FILES_URL
    if base:
        return f"{base.rstrip('/')}/{quote(path)}"
    return f"{index_root}{quote(path)}"


def _is_safe_storage_path(path: str) -> bool:
    # Paths are looked up as File rows, never handed to storage as given; this only saves a
    # query on obvious probing.
    return not path.startswith("/") and all(
        segment not in {"", ".", ".."} for segment in path.split("/")
    )


def _not_found() -> http.Answer:
    return http.not_found(_("No such file is on this index."))


def _redirect_to_storage(path: str) -> http.Answer | None:
    """302 to the storage's own short-lived URL for ``path`` (S3: presigned), so the bytes never
    pass through this process; None when the index streams them itself."""
    location = download_url(path)
    if location is None:
        return None
    # Half the URL's life: a client following a cached redirect still has time to start.
    max_age = settings.CHEESESHOP_S3_URL_EXPIRY // 2
    return http.redirect(location, cache_control=f"public, max-age={max_age}")


def _distribution(path: str, if_none_match: str, method: str) -> http.Answer | None:
    row = File.objects.served().filter(path=path).values_list("sha256_digest", "size").first()
    if row is None:
        return None
    if redirect := _redirect_to_storage(path):
        return redirect
    sha256, size = row
    return http.stored_file(
        lambda: packages_storage().open(path, "rb"),
        length=size,
        etag=sha256,
        content_type=http.DISTRIBUTION,
        cache_control=http.IMMUTABLE,
        if_none_match=if_none_match,
        method=method,
    )


def _core_metadata(path: str, if_none_match: str) -> http.Answer | None:
    if not path.endswith(METADATA_SUFFIX):
        return None
    digest = (
        File.objects.served()
        .filter(path=path.removesuffix(METADATA_SUFFIX))
        .exclude(metadata_sha256_digest="")
        .values_list("metadata_sha256_digest", flat=True)
        .first()
    )
    if digest is None:
        return None
    if redirect := _redirect_to_storage(path):
        return redirect
    # Core metadata is small: read whole, so its length is known (for a 304 too).
    with packages_storage().open(path, "rb") as stored:
        body = stored.read()
    return http.stored(
        body,
        etag=digest,
        content_type=http.CORE_METADATA,
        cache_control=http.IMMUTABLE,
        if_none_match=if_none_match,
    )


def package_file_response(path: str, if_none_match: str, method: str) -> http.Answer:
    """``/packages/<path>``: a stored distribution, or a wheel's core metadata (PEP 658)."""
    if not _is_safe_storage_path(path):
        return _not_found()
    try:
        answer = _distribution(path, if_none_match, method) or _core_metadata(path, if_none_match)
    except FileNotFoundError:
        logger.error("File %s is in the database but missing from storage", path)
        return _not_found()
    return answer or _not_found()
