"""The rule on characters (``cheeseshop.inputs``), applied to every URL the index answers: a NUL,
a control character or a lone surrogate in a path, a query, a header or a form gets a 400 that
names the value and the character, never a 500, whatever the database (run these on PostgreSQL
too: it is where a NUL reached a query and failed)."""

import itertools
import re
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve

from cheeseshop.inputs import Shape, UnsafeCharacter, check_json, check_text, unsafe_character

pytestmark = pytest.mark.django_db

NUL = "\x00"
ESCAPE = "\x1b"
SURROGATE = "\ud800"


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))
# A route's parameters: <converter:name> in a path(), (?P<name>...) in a re_path().
_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>|\(\?P<\w+>(?:[^()]|\([^()]*\))*\)")
# Values a parameter may take; the first combination the route resolves is used.
_CANDIDATES = ("x", "1", str(uuid.UUID(int=1)), "0" * 64, "json", "x.json", "x/")


def _filled(route: str, values) -> str:
    supply = iter(values)
    return "/" + _PARAMETER.sub(lambda _match: next(supply), route).replace("\\", "")


def url(route: str, *, parameter: str | None = None) -> str:
    """A path for ``route``: each parameter holds ``parameter`` (percent-encoded), or values
    the route resolves (so that its view runs)."""
    count = len(_PARAMETER.findall(route))
    if parameter is not None:
        return _filled(route, [quote(f"a{parameter}b", safe="")] * count)
    for values in itertools.product(_CANDIDATES, repeat=count):
        path = _filled(route, values)
        try:
            resolve(path)
        except Resolver404:
            continue
        return path
    raise AssertionError(f"no example path for {route}")


def test_every_route_is_reached():
    # The walk above finds the public pages, the APIs and the admin alike.
    for route in ("simple/<str:name>/", "pypi/<str:name>/json", "project/<str:name>/", "search/"):
        assert route in ROUTES
    assert "packages/<path:path>" in ROUTES
    assert "account/password/reset/" in ROUTES
    assert len(ROUTES) > 100


def refused(response, where: str, character: str) -> bool:
    body = response.content.decode()
    return (
        response.status_code == 400
        and where in body
        and f"contains {character}, which this index does not accept." in body
    )


@pytest.mark.parametrize("route", [route for route in ROUTES if _PARAMETER.search(route)])
@pytest.mark.parametrize(
    ("character", "named"),
    [(NUL, "a NUL character (U+0000)"), (ESCAPE, "a control character (U+001B)")],
)
def test_a_control_character_in_any_path_parameter_is_refused(route, character, named):
    response = Client().get(url(route, parameter=character))
    assert refused(response, "The URL path", named), (response.status_code, response.content)


@pytest.mark.parametrize("route", ROUTES)
def test_a_nul_in_the_query_of_any_url_is_refused(route):
    response = Client().get(url(route) + "?q=a%00b")
    assert refused(response, "The query parameter 'q'", "a NUL character (U+0000)")


@pytest.mark.parametrize("route", ROUTES)
def test_a_nul_in_a_header_of_a_request_to_any_url_is_refused(route):
    response = Client().get(url(route), headers={"User-Agent": "curl\x00evil"})
    assert refused(response, "The header 'User-Agent'", "a NUL character (U+0000)")


@pytest.mark.parametrize("route", [route for route in ROUTES if route != "legacy/"])
@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_a_nul_in_a_form_field_posted_to_any_url_is_refused(route, encoding):
    # Before any view: CSRF, authentication and the form's own rules come after. The upload
    # (legacy/) streams its body and checks its fields itself: tests/upload/.
    form = {"username": "alice\x00", "password": "x"}
    if encoding == "urlencoded":
        response = Client().post(
            url(route), urlencode(form), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = Client().post(url(route), form)
    assert refused(response, "The form field 'username'", "a NUL character (U+0000)")


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/simple/?q%00=1", "The name of a query parameter"),
        ("/search/?q=a%01b", "The query parameter 'q'"),
        ("/search/?q=a%0Ab", "The query parameter 'q'"),
        ("/search/?q=a%7Fb", "The query parameter 'q'"),
        ("/project/a%09b/", "The URL path"),
        ("/project/a%0Db/", "The URL path"),
    ],
)
def test_control_characters_in_the_path_or_the_query_are_refused(path, where):
    response = Client().get(path)
    assert response.status_code == 400
    assert where in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/simple/%ED%A0%80/",
        "/project/%ED%A0%80/",
        "/pypi/%ED%A0%80/json",
        "/packages/%ED%A0%80",
        "/user/%ED%A0%80/",
        "/search/?q=%ED%A0%80",
        "/search/?q=%FF%FE",
    ],
)
def test_an_encoded_surrogate_or_invalid_utf8_is_never_a_500(path):
    # Django decodes the path and the query with replacement characters: no surrogate is left,
    # and the index answers as for any unknown name.
    assert Client().get(path).status_code in (200, 301, 404)


def test_a_tab_is_allowed_in_a_header_and_lines_in_a_form_field():
    assert Client().get("/simple/", headers={"User-Agent": "a\tb"}).status_code == 200
    response = Client().post("/account/login/", {"login": "alice", "password": "a\r\nb\tc"})
    assert response.status_code != 400 or b"does not accept" not in response.content


def test_a_header_holding_a_control_character_is_refused_not_repeated():
    response = Client().get("/", headers={"Accept-Language": "fr\x01"})
    assert refused(response, "The header 'Accept-Language'", "a control character (U+0001)")


def test_the_refusal_is_translated(client):
    response = client.get("/search/?q=%00", headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"


# -- the rule itself


@pytest.mark.parametrize(
    ("text", "shape", "found"),
    [
        ("plain text", Shape.NAME, None),
        ("a\x00b", Shape.TEXT, NUL),
        ("a\ud800b", Shape.TEXT, SURROGATE),
        ("a\udfffb", Shape.LINE, "\udfff"),
        ("a\x1bb", Shape.LINE, ESCAPE),
        ("a\x7fb", Shape.LINE, "\x7f"),
        ("a\x1b[1m\x0cb", Shape.TEXT, None),  # a README's escapes and form feeds
        ("a\tb", Shape.NAME, "\t"),
        ("a\tb", Shape.LINE, None),
        ("a\nb", Shape.LINE, "\n"),
        ("a\r\nb\tc", Shape.TEXT, None),
        ("ünïcödé ✓ 🧀", Shape.NAME, None),
        (
            "\x85\xa0",
            Shape.NAME,
            None,
        ),  # C1 controls: what a UTF-8 header decoded as Latin-1 holds
    ],
)
def test_unsafe_character_finds_the_first_refused_character(text, shape, found):
    assert unsafe_character(text, shape) == found


def test_check_text_names_where_and_what():
    with pytest.raises(UnsafeCharacter) as excinfo:
        check_text("a\ud800", where="The description")
    assert excinfo.value.message == (
        "The description contains a lone surrogate (U+D800), which this index does not accept."
    )


@pytest.mark.parametrize(
    "document",
    [
        {"description": "a\x00"},
        {"description\x00": "a"},
        {"projects": ["ok", "a\ud800"]},
        [[[{"deep": ["\x1b"]}]]],
    ],
)
def test_check_json_reads_every_key_and_string(document):
    with pytest.raises(UnsafeCharacter):
        check_json(document, where="The request body")


def test_check_json_returns_a_clean_document():
    document = {"description": "CI\ttoken", "projects": ["a"], "n": 1, "x": None}
    assert check_json(document, where="The request body") is document
