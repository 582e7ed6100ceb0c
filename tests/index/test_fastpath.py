"""The WSGI fast path answers /simple/<name>/ and /simple/ exactly as the Django views do, under
every setting that changes what Django's middleware does."""

from io import BytesIO

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler

from cheeseshop.index.fastpath import (
    HEADER_MIDDLEWARE,
    PASSIVE_MIDDLEWARE,
    SimplePagesFastPath,
)
from cheeseshop.wsgi import django_application
from tests.index.builders import make_file, make_project, make_release, publish

# (keep_test_connection: tests/conftest.py)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection")]

# LocaleMiddleware's headers: it marks every Django response as language-dependent, but the
# stored pages are the same bytes for every language, so the fast path rightly omits them.
_IGNORED = {"vary", "content-language"}


def _call(
    app, path: str, *, method: str = "GET", query: str = "", scheme: str = "http", **headers
):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "wsgi.url_scheme": scheme,
        "wsgi.input": BytesIO(),
        "wsgi.errors": BytesIO(),
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = response_headers

    body = b"".join(app(environ, start_response))
    headers = {k.lower(): v for k, v in captured["headers"]}
    return int(captured["status"].split()[0]), headers, body


@pytest.fixture
def fast_app():
    calls = []

    def django_spy(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return django_application(environ, start_response)

    app = SimplePagesFastPath(django_spy)
    app.django_calls = calls
    return app


@pytest.fixture
def project():
    project = make_project("Fast-Path")
    make_file(make_release(project, "1.0"), metadata=b"Metadata-Version: 2.4\n")
    publish(project)
    return project


# The stored pages the fast path serves: a project's, and the root's.
STORED_PAGES = ["/simple/fast-path/", "/simple/"]


def _without(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k not in _IGNORED}


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "text/html",
        "application/vnd.pypi.simple.v1+json",
        "application/vnd.pypi.simple.latest+json",
    ],
)
@pytest.mark.parametrize("path", STORED_PAGES)
def test_fast_path_serves_the_same_bytes_and_headers_as_django(fast_app, project, path, accept):
    fast = _call(fast_app, path, accept=accept)
    slow = _call(django_application, path, accept=accept)
    assert fast_app.django_calls == []
    assert fast[0] == slow[0] == 200
    assert fast[2] == slow[2]
    assert _without(fast[1]) == _without(slow[1])
    assert fast[1]["vary"] == "Accept"


@pytest.mark.parametrize("path", STORED_PAGES)
def test_fast_path_answers_304_and_404_like_django(fast_app, project, path):
    etag = _call(fast_app, path)[1]["etag"]
    assert _call(fast_app, path, if_none_match=etag)[0] == 304
    assert _call(django_application, path, if_none_match=etag)[0] == 304
    assert _call(fast_app, "/simple/no-such-project/")[0] == 404
    assert _call(django_application, "/simple/no-such-project/")[0] == 404
    assert fast_app.django_calls == []


@pytest.mark.parametrize("accept", ["*/*;q=0", "text/html;q=0", "application/xml, */*;q=0"])
@pytest.mark.parametrize("path", STORED_PAGES)
def test_fast_path_answers_406_like_django(fast_app, project, path, accept):
    fast = _call(fast_app, path, accept=accept)
    slow = _call(django_application, path, accept=accept)
    assert fast_app.django_calls == []
    assert fast[0] == slow[0] == 406
    assert fast[2] == slow[2]
    assert _without(fast[1]) == _without(slow[1])
    assert fast[1]["vary"] == "Accept"


@pytest.mark.parametrize(
    "headers",
    [{"user_agent": "pip\x00"}, {"accept": "text/html\x1b"}, {"if_none_match": '"a"\x00'}],
)
def test_a_header_with_a_control_character_is_refused_by_django(fast_app, project, headers):
    fast = _call(fast_app, "/simple/fast-path/", **headers)
    slow = _call(django_application, "/simple/fast-path/", **headers)
    assert fast_app.django_calls == ["/simple/fast-path/"]
    assert fast[0] == slow[0] == 400
    assert fast[2] == slow[2]
    assert b"which this index does not accept" in fast[2]


def test_a_tab_in_a_header_is_served_by_the_fast_path(fast_app, project):
    assert _call(fast_app, "/simple/fast-path/", user_agent="pip\t24")[0] == 200
    assert fast_app.django_calls == []


@pytest.mark.parametrize("path", STORED_PAGES)
def test_head_has_headers_and_no_body(fast_app, project, path):
    status, headers, body = _call(fast_app, path, method="HEAD")
    assert status == 200
    assert int(headers["content-length"]) > 0
    assert body == b""


@pytest.mark.parametrize(
    ("path", "method", "query"),
    [
        ("/simple/Fast_Path/", "GET", ""),  # not normalised: Django redirects
        ("/simple/fast-path/", "POST", ""),
        ("/simple/fast-path/", "GET", "x=1"),
        ("/simple/", "GET", "x=1"),
        ("/simple", "GET", ""),
        ("/simple/fast--path/", "GET", ""),
    ],
)
def test_everything_else_goes_to_django(fast_app, project, path, method, query):
    _call(fast_app, path, method=method, query=query)
    assert fast_app.django_calls == [path]


def test_non_normalized_name_is_redirected_through_django(fast_app, project):
    status, headers, _ = _call(fast_app, "/simple/Fast_Path/")
    assert status == 301
    assert headers["location"] == "/simple/fast-path/"


# --- Parity under the settings that change what Django's middleware does -------------------

HTTPS = {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000}
SETTINGS = {
    "https": HTTPS,
    "https with HSTS subdomains and preload": {
        **HTTPS,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    },
    "https behind a proxy": {
        **HTTPS,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    },
    "hsts without redirect": {"SECURE_HSTS_SECONDS": 600},
    "allowed hosts": {"ALLOWED_HOSTS": ["index.example"]},
    "allowed hosts with debug": {"ALLOWED_HOSTS": [], "DEBUG": True},
    "prepend www": {"PREPEND_WWW": True},
    "cross-origin opener policy off": {"SECURE_CROSS_ORIGIN_OPENER_POLICY": None},
}
REQUESTS = {
    "plain http": {},
    "https": {"scheme": "https"},
    "https by the proxy's header": {"x_forwarded_proto": "https"},
    "http by the proxy's header": {"scheme": "https", "x_forwarded_proto": "http"},
    "an allowed host": {"host": "index.example"},
    "a foreign host": {"host": "evil.example"},
    "a malformed host": {"host": "evil example"},
    "localhost": {"host": "localhost:8000"},
    "a conditional request": {"if_none_match": "*"},
    "json": {"accept": "application/vnd.pypi.simple.v1+json"},
    "head": {"method": "HEAD"},
}


@pytest.fixture(params=list(SETTINGS), ids=list(SETTINGS))
def configured(request, settings):
    for name, value in SETTINGS[request.param].items():
        setattr(settings, name, value)
    return request.param


@pytest.mark.parametrize("path", STORED_PAGES)
@pytest.mark.parametrize("request_kind", list(REQUESTS))
def test_fast_path_answers_as_django_under_every_setting(configured, project, request_kind, path):
    # Both built after the settings changed: middleware read their settings when built.
    django_app = WSGIHandler()
    calls = []

    def django_spy(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return django_app(environ, start_response)

    fast = _call(SimplePagesFastPath(django_spy), path, **REQUESTS[request_kind])
    slow = _call(django_app, path, **REQUESTS[request_kind])
    assert fast[0] == slow[0]
    assert _without(fast[1]) == _without(slow[1])
    if slow[0] != 400:  # Django's debug page of a refused Host has the time in it
        assert fast[2] == slow[2]
    if slow[0] in (200, 304):
        assert calls == [], "a stored page Django would serve as it is goes the fast way"


def test_https_settings_redirect_plain_http_and_send_hsts_over_https(settings, project):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    app = SimplePagesFastPath(WSGIHandler())
    status, headers, _body = _call(app, "/simple/fast-path/")
    assert status == 301
    assert headers["location"] == "https://testserver/simple/fast-path/"
    status, headers, _body = _call(app, "/simple/fast-path/", scheme="https")
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000"


def test_a_host_outside_allowed_hosts_is_refused(settings, project):
    settings.ALLOWED_HOSTS = ["index.example"]
    app = SimplePagesFastPath(WSGIHandler())
    assert _call(app, "/simple/fast-path/", host="evil.example")[0] == 400
    assert _call(app, "/simple/fast-path/", host="index.example")[0] == 200


def test_every_middleware_is_known_to_the_fast_path():
    # A new middleware may change every answer: the fast path must be told what it does.
    assert set(django_settings.MIDDLEWARE) <= HEADER_MIDDLEWARE | PASSIVE_MIDDLEWARE


def test_an_unknown_middleware_stops_the_fast_path_from_starting(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.index.test_fastpath.SomeMiddleware"]
    with pytest.raises(ValueError, match="does not know"):
        SimplePagesFastPath(django_application)
