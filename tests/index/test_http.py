"""The answers of stored bytes: conditional requests, 304s, CORS, HEAD."""

import pytest
from django.test import RequestFactory

from cheeseshop.index import http
from cheeseshop.index.http import if_none_match_matches


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"zzz", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("abc", False),
        ("", False),
        ('"zzz"', False),
    ],
)
def test_if_none_match_matches_only_the_same_etag(header, expected):
    assert if_none_match_matches(header, "abc") is expected


def stored(if_none_match: str = "") -> http.Answer:
    return http.stored(
        b"body",
        etag="abc",
        content_type=http.JSON,
        cache_control=http.IMMUTABLE,
        if_none_match=if_none_match,
        headers=[("X-PyPI-Last-Serial", "7")],
    )


def test_a_stored_answer_has_its_type_length_etag_caching_and_cors():
    answer = stored()
    assert answer.status == 200
    assert answer.body == b"body"
    assert dict(answer.headers) == {
        "ETag": '"abc"',
        "Cache-Control": http.IMMUTABLE,
        "X-PyPI-Last-Serial": "7",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "X-PyPI-Last-Serial",
        "Content-Length": "4",
        "Content-Type": "application/json",
    }


def test_a_current_copy_gets_304_with_the_200s_length_and_no_content():
    answer = stored('"abc"')
    assert answer.status == 304
    assert answer.body == b""
    headers = dict(answer.headers)
    assert "Content-Type" not in headers
    # RFC 9110, 8.6: a 304 may state only the length its 200 would have.
    assert headers["Content-Length"] == "4"


@pytest.mark.parametrize("method", ["get", "head"])
def test_django_responses_keep_every_header_and_drop_the_body_of_head(method):
    request = getattr(RequestFactory(), method)("/")
    response = http.django_response(request, stored())
    assert response.status_code == 200
    assert response.content == (b"body" if method == "get" else b"")
    assert response["Content-Length"] == "4"
    assert response["Content-Type"] == "application/json"


def test_a_404_is_plain_text_with_cors_and_only_the_caching_asked_for():
    answer = http.not_found("No such thing.", cache_control=http.NOT_CACHED)
    assert answer.status == 404
    assert answer.body == b"No such thing."
    assert dict(answer.headers)["Cache-Control"] == "no-cache"
    assert dict(answer.headers)["Access-Control-Allow-Origin"] == "*"
    assert "Cache-Control" not in dict(http.not_found("No.").headers)
