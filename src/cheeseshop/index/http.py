"""Answers made of stored bytes — simple pages, the JSON API, distribution files and their core
metadata, TUF metadata — built one way, whichever code sends them.

An ``Answer`` is plain data (status, headers, body), so the WSGI fast path sends one without
Django and ``django_response`` turns one into Django's: both give the same status, headers and
bytes. Every answer, 404s included, carries the CORS headers (any site may read the index, as
on PyPI); a 200 carries its Content-Type and Content-Length; a conditional request whose
``If-None-Match`` names the current ETag gets 304 with the same headers and no content.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)

CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "X-PyPI-Last-Serial"),
)
# Stored files and versioned metadata never change (their name holds their digest or version).
IMMUTABLE = "public, max-age=31536000, immutable"
# An answer that may change at any moment (TUF's 404 for metadata not yet published).
NOT_CACHED = "no-cache"

# What the Content-Type header says for each kind of stored bytes.
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html; charset=utf-8"
JSON = "application/json"
DISTRIBUTION = "application/octet-stream"
# Core metadata is RFC 822 text in UTF-8; pip and uv read the body and ignore the type.
CORE_METADATA = "text/plain; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer with no framework attached.

    ``body`` is the content; a stored file is streamed instead from ``file``, opened (its
    length is in the headers), so that it is never read whole into memory.
    """

    status: int
    headers: Headers
    body: bytes = b""
    file: BinaryIO | None = field(default=None, compare=False)


def if_none_match_matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (bare hex, as stored).

    Uses the weak comparison RFC 9110 prescribes for If-None-Match, so a ``W/`` prefix added
    by a proxy still matches.
    """
    if not if_none_match:
        return False
    quoted = f'"{etag}"'
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/")
        if tag == quoted:
            return True
    return False


def stored(
    body: bytes | None,
    *,
    etag: str,
    content_type: str,
    length: int | None = None,
    cache_control: str,
    if_none_match: str,
    headers: Iterable[tuple[str, str]] = (),
) -> Answer:
    """200 with the stored bytes, or 304 when the client holds this exact representation
    (``etag``, as stored: bare hex or a name).

    ``body`` None: the content is a file the caller attaches (``Answer.file``) for a GET, and
    ``length`` is its size. A 304 states the length too: RFC 9110 (8.6) allows a 304 only the
    length its 200 would have, and Django would otherwise write 0.
    """
    size = len(body) if body is not None else length
    common = [
        ("ETag", f'"{etag}"'),
        ("Cache-Control", cache_control),
        *headers,
        *CORS_HEADERS,
        ("Content-Length", str(size)),
    ]
    if if_none_match_matches(if_none_match, etag):
        return Answer(304, common)
    return Answer(200, [*common, ("Content-Type", content_type)], body or b"")


def stored_file(
    open_file: Callable[[], BinaryIO],
    *,
    length: int,
    etag: str,
    content_type: str,
    cache_control: str,
    if_none_match: str,
    method: str,
) -> Answer:
    """``stored`` for a file streamed from storage: opened (``open_file``) only for a GET that
    gets 200, so that missing bytes raise here, before any answer starts."""
    answer = stored(
        None,
        etag=etag,
        content_type=content_type,
        length=length,
        cache_control=cache_control,
        if_none_match=if_none_match,
    )
    if answer.status != 200 or method == "HEAD":
        return answer
    return replace(answer, file=open_file())


def redirect(location: str, *, cache_control: str) -> Answer:
    """302 to where the bytes are (a presigned storage URL). It carries no ETag: the redirect is
    not the content, and conditional requests are for the storage that serves it."""
    return Answer(
        302,
        [
            ("Location", location),
            ("Cache-Control", cache_control),
            *CORS_HEADERS,
            ("Content-Length", "0"),
        ],
    )


def not_found(
    message: str, *, content_type: str = TEXT, cache_control: str | None = None
) -> Answer:
    """404 with ``message``: a line of text, or a JSON document (``content_type``)."""
    body = message.encode()
    caching = [("Cache-Control", cache_control)] if cache_control else []
    return Answer(
        404,
        [
            *caching,
            *CORS_HEADERS,
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def not_acceptable(message: str) -> Answer:
    """406 with ``message`` (a line of text): no representation the client accepts. It varies
    with ``Accept`` as the representations do, so a cache never serves it for another."""
    body = message.encode()
    return Answer(
        406,
        [
            ("Vary", "Accept"),
            *CORS_HEADERS,
            ("Content-Type", TEXT),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def with_cors(response: HttpResponseBase) -> HttpResponseBase:
    """A Django response (a redirect) with the CORS headers every answer of the index has."""
    for header, value in CORS_HEADERS:
        response[header] = value
    return response


def django_response(request: HttpRequest, answer: Answer) -> HttpResponseBase:
    """``answer`` as Django's response; HEAD keeps every header and drops the content."""
    if answer.file is not None:
        response = FileResponse(answer.file)
    else:
        body = b"" if request.method == "HEAD" else answer.body
        response = HttpResponse(body, status=answer.status)
    del response["Content-Type"]  # the answer's own, if it has one
    for header, value in answer.headers:
        response[header] = value
    return response
