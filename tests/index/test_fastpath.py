"""The WSGI fast path answers /simple/<name>/ exactly as the Django view does."""

from io import BytesIO

import pytest

from cheeseshop.index.fastpath import SimpleDetailFastPath
from cheeseshop.wsgi import django_application
from tests.index.builders import make_file, make_project, make_release, publish

pytestmark = pytest.mark.django_db

# LocaleMiddleware's headers: it marks every Django response as language-dependent, but the
# stored pages are the same bytes for every language, so the fast path rightly omits them.
_IGNORED = {"vary", "content-language"}


def _call(app, path: str, *, method: str = "GET", query: str = "", **headers):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
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


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    """What Django's test client does: a test's transaction must survive the request, so the
    per-request connection clean-up (close_old_connections) is switched off."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    import cheeseshop.index.fastpath

    monkeypatch.setattr(cheeseshop.index.fastpath, "close_old_connections", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fast_app():
    calls = []

    def django_spy(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return django_application(environ, start_response)

    app = SimpleDetailFastPath(django_spy)
    app.django_calls = calls
    return app


@pytest.fixture
def project():
    project = make_project("Fast-Path")
    make_file(make_release(project, "1.0"), metadata=b"Metadata-Version: 2.4\n")
    publish(project)
    return project


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
def test_fast_path_serves_the_same_bytes_and_headers_as_django(fast_app, project, accept):
    fast = _call(fast_app, "/simple/fast-path/", accept=accept)
    slow = _call(django_application, "/simple/fast-path/", accept=accept)
    assert fast_app.django_calls == []
    assert fast[0] == slow[0] == 200
    assert fast[2] == slow[2]
    assert _without(fast[1]) == _without(slow[1])
    assert fast[1]["vary"] == "Accept"


def test_fast_path_answers_304_and_404_like_django(fast_app, project):
    etag = _call(fast_app, "/simple/fast-path/")[1]["etag"]
    assert _call(fast_app, "/simple/fast-path/", if_none_match=etag)[0] == 304
    assert _call(django_application, "/simple/fast-path/", if_none_match=etag)[0] == 304
    assert _call(fast_app, "/simple/no-such-project/")[0] == 404
    assert _call(django_application, "/simple/no-such-project/")[0] == 404
    assert fast_app.django_calls == []


def test_head_has_headers_and_no_body(fast_app, project):
    status, headers, body = _call(fast_app, "/simple/fast-path/", method="HEAD")
    assert status == 200
    assert int(headers["content-length"]) > 0
    assert body == b""


@pytest.mark.parametrize(
    ("path", "method", "query"),
    [
        ("/simple/Fast_Path/", "GET", ""),  # not normalised: Django redirects
        ("/simple/fast-path/", "POST", ""),
        ("/simple/fast-path/", "GET", "x=1"),
        ("/simple/", "GET", ""),
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
