import pytest

from cheeseshop.index.negotiation import (
    HTML_V1,
    JSON_V1,
    TEXT_HTML,
    select_media_type,
)

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
UV_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # What real clients send.
        (PIP_ACCEPT, JSON_V1),
        (UV_ACCEPT, JSON_V1),
        ("text/html", TEXT_HTML),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", TEXT_HTML),
        # No header, or only wildcards: the PEP 503 page, as PyPI serves.
        ("", TEXT_HTML),
        ("   ", TEXT_HTML),
        ("*/*", TEXT_HTML),
        # Exact types.
        (JSON_V1, JSON_V1),
        (HTML_V1, HTML_V1),
        ("APPLICATION/VND.PYPI.SIMPLE.V1+JSON", JSON_V1),
        # "latest" aliases select the v1 types.
        ("application/vnd.pypi.simple.latest+json", JSON_V1),
        ("application/vnd.pypi.simple.latest+html", HTML_V1),
        # Quality values decide.
        (f"{JSON_V1};q=0.5, {HTML_V1};q=0.9", HTML_V1),
        (f"{JSON_V1};q=0.5, text/html", TEXT_HTML),
        (f"text/html;q=0.3, {HTML_V1};q=0.2", TEXT_HTML),
        (f"{JSON_V1};q=0.999, {HTML_V1};q=1.000", HTML_V1),
        # Equal quality: the most expressive of the named types.
        (f"text/html, {HTML_V1}, {JSON_V1}", JSON_V1),
        (f"text/html, {HTML_V1}", HTML_V1),
        # A named type beats a wildcard of the same quality.
        (f"*/*, {JSON_V1}", JSON_V1),
        # A type wildcard reaches the types under it only.
        ("application/*", JSON_V1),
        ("text/*", TEXT_HTML),
        # q=0 refuses a type, even one a wildcard would allow.
        ("*/*, text/html;q=0", HTML_V1),
        (f"*/*, text/html;q=0, {HTML_V1};q=0", JSON_V1),
        (f"{JSON_V1};q=0", TEXT_HTML),
        # The most specific range sets the quality, whatever the order.
        (f"{JSON_V1};q=0.1, application/*;q=1", HTML_V1),
        # Nothing we serve: text/html, never 406.
        ("application/json", TEXT_HTML),
        ("image/png, application/xml", TEXT_HTML),
        # Garbage entries are skipped, good ones still count.
        ("garbage", TEXT_HTML),
        (";;;,,,", TEXT_HTML),
        ("*/json", TEXT_HTML),
        (f"{JSON_V1};q=2", TEXT_HTML),
        (f"{JSON_V1};q=abc, {HTML_V1}", HTML_V1),
        (f"{JSON_V1};q=0.1234", TEXT_HTML),
        (f"nonsense/, {JSON_V1}", JSON_V1),
        (f"{JSON_V1}; charset=utf-8", JSON_V1),
    ],
)
def test_select_media_type_picks_the_representation_negotiation_rules_give(accept, expected):
    assert select_media_type(accept) == expected


@pytest.mark.parametrize(
    "accept",
    [
        # Every type at q=0, however it is refused.
        "*/*;q=0",
        "*/*; q=0.000",
        "*/*;Q=0",
        f"{JSON_V1};q=0, {HTML_V1};q=0, text/html;q=0",
        "application/*;q=0, text/*;q=0",
        "application/vnd.pypi.simple.latest+json;q=0, application/vnd.pypi.simple.latest+html;q=0,"
        " text/html;q=0",
        # text/html refused, and nothing else accepted: the default may not be served.
        "text/html;q=0",
        "text/*;q=0",
        f"{JSON_V1};q=0, text/html;q=0",
        # Unknown types accepted, ours refused.
        "application/xml, */*;q=0",
        "image/png;q=1, text/html;q=0",
        # A malformed entry is skipped; the refusal beside it still counts.
        "*/*;q=0, text/html;q=abc",
        f"*/*;q=0, {JSON_V1};q=-1",
        f"*/*;q=0, {JSON_V1};q=1.5",
        "*/*;q=0, text/html;q=",
    ],
)
def test_a_client_that_refuses_every_type_we_serve_gets_none(accept):
    assert select_media_type(accept) is None


@pytest.mark.parametrize(
    "accept",
    [
        # Unknown types only: nothing refused, so the PEP 503 page, as PyPI.
        "application/json",
        "application/xml;q=0.5, image/*",
        "application/xml;q=0",
        # Malformed q values: the entries are skipped, as if absent.
        "text/html;q=abc",
        "text/html;q=-1",
        "text/html;q=0.0000",
        "*/*;q=1e-9",
        "*/*;q",
        "text/html;q=0;q=1",
    ],
)
def test_a_client_that_refuses_nothing_we_serve_gets_text_html(accept):
    assert select_media_type(accept) == TEXT_HTML
