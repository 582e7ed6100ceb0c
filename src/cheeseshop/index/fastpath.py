"""A WSGI fast path for the hottest URLs an index has: ``GET /simple/<normalized-name>/``, and
the root ``/simple/`` that mirrors read.

Installers fetch one detail page per dependency per install. Pages are stored pre-rendered
(``SimpleDetailPage``, ``SimpleIndexPage``), so answering takes one indexed query; Django's URL
resolver and full middleware chain would cost several times that. This wrapper answers exactly
the requests the ``simple_detail`` and ``simple_index`` views would answer with stored bytes,
with the same answer and the headers Django's middleware would add, and hands everything else
to Django unchanged: non-normalised names, query strings, other methods, and every request
Django's middleware would refuse or redirect (a Host outside ``ALLOWED_HOSTS``, plain HTTP
under ``SECURE_SSL_REDIRECT``, ``PREPEND_WWW``, ``DISALLOWED_USER_AGENTS``, a header with a
control character).

Which requests those are is decided by Django's own code (``WSGIRequest.get_host()`` and
``is_secure()``), and the middleware headers are what the middleware itself adds to an answer,
learned once per kind of answer: no setting is interpreted a second way here.
"""

import re
from collections.abc import Callable, Iterable
from io import BytesIO

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.http import HttpResponse
from django.utils.module_loading import import_string

from cheeseshop.index.services import simple_detail_response, simple_index_response
from cheeseshop.inputs import has_unsafe_header
from cheeseshop.webserver import ROUTE_VARIABLE

# The root, or a PEP 503 normalised name: what canonicalize_name returns, and nothing else.
_SIMPLE_PATH = re.compile(r"\A/simple/(?:([a-z0-9]+(?:-[a-z0-9]+)*)/)?\Z")
_STATUS_LINES = {
    200: "200 OK",
    304: "304 Not Modified",
    404: "404 Not Found",
    406: "406 Not Acceptable",
}

# What each middleware of settings.MIDDLEWARE does to a GET of a stored page. Those that add
# headers to every answer are run (their process_response) to learn the headers:
HEADER_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "csp.middleware.CSPMiddleware",
    }
)
# The others change nothing the fast path sends: sessions, CSRF, authentication, messages,
# static files, allauth, the base URL, unreadable secrets, a signed-in user's language (a
# cookie for the pages in that language; simple pages have none) and the route's name (written
# for the metrics; the fast path writes it too) leave an anonymous GET alone;
# CommonMiddleware and InputCharactersMiddleware refuse or redirect only the requests sent to
# Django (see the module docstring; the path and query the fast path answers hold no control
# characters, and a header that does is sent to Django); LocaleMiddleware adds
# ``Vary: Accept-Language`` and ``Content-Language``, which the stored pages rightly omit:
# they are the same bytes in every language.
PASSIVE_MIDDLEWARE = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "cheeseshop.inputs.InputCharactersMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "allauth.account.middleware.AccountMiddleware",
        "cheeseshop.accounts.middleware.UnreadableSecretsMiddleware",
        "cheeseshop.accounts.middleware.UserLanguageMiddleware",
        "cheeseshop.site.BaseURLMiddleware",
        "cheeseshop.operations.middleware.RouteNameMiddleware",
    }
)


def _sample_request(*, secure: bool) -> WSGIRequest:
    return WSGIRequest(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/simple/",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "443" if secure else "80",
            "wsgi.url_scheme": "https" if secure else "http",
            "wsgi.input": BytesIO(),
        }
    )


def _no_view(request):  # pragma: no cover - only the middleware's process_response runs
    raise AssertionError("no view runs when middleware headers are learned")


def middleware_headers(*, secure: bool, status: int) -> list[tuple[str, str]]:
    """The headers settings.MIDDLEWARE adds to an answer of ``status`` that it lets through,
    over HTTPS or not: learned by running the header-adding middleware on such an answer."""
    unknown = set(settings.MIDDLEWARE) - HEADER_MIDDLEWARE - PASSIVE_MIDDLEWARE
    if unknown:  # a middleware nobody has looked at: its effect on the fast path is unknown
        raise ValueError(f"the simple-page fast path does not know {sorted(unknown)}")
    request = _sample_request(secure=secure)
    response = HttpResponse(status=status)
    before = set(response.headers)
    # process_response runs in the reverse order of MIDDLEWARE, as Django runs it.
    for path in reversed(settings.MIDDLEWARE):
        if path in HEADER_MIDDLEWARE:
            middleware = import_string(path)(_no_view)
            response = middleware.process_response(request, response)
    return [(name, value) for name, value in response.items() if name not in before]


# Everything of a request that Django's get_host() and is_secure() read (with the header
# SECURE_PROXY_SSL_HEADER names): their verdict is cached per distinct combination, so Django's
# own code judges each combination once rather than every request (clients send a handful).
_HOST_AND_SCHEME_KEYS = (
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "wsgi.url_scheme",
)
_MAX_VERDICTS = 1024
_REFUSED = None


class SimplePagesFastPath:
    def __init__(self, application: Callable) -> None:
        self.application = application
        # Settings under which CommonMiddleware answers some requests itself: leave it to it.
        self.enabled = not settings.PREPEND_WWW and not settings.DISALLOWED_USER_AGENTS
        self.extra_headers = {
            (secure, status): middleware_headers(secure=secure, status=status)
            for secure in (False, True)
            for status in _STATUS_LINES
        }
        proxy_header = settings.SECURE_PROXY_SSL_HEADER
        self._keys = _HOST_AND_SCHEME_KEYS + ((proxy_header[0],) if proxy_header else ())
        self._verdicts: dict[tuple, bool | None] = {}

    def _judge(self, key: tuple) -> bool | None:
        """Django's verdict on a request with these host and scheme variables: None when it
        refuses the host, else whether the request is secure."""
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "wsgi.input": BytesIO(),
            **{name: value for name, value in zip(self._keys, key, strict=True) if value},
        }
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return _REFUSED
        return request.is_secure()

    def _secure(self, environ: dict) -> bool | None:
        key = tuple(map(environ.get, self._keys))
        verdict = self._verdicts.get(key, ...)
        if verdict is ...:
            verdict = self._judge(key)
            if len(self._verdicts) >= _MAX_VERDICTS:  # a client inventing hosts: start again
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _answerable(self, environ: dict) -> tuple[str | None, bool] | None:
        """``(normalized name or None for the root, secure)`` when Django would answer with
        the stored page."""
        if not self.enabled or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        match = _SIMPLE_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("QUERY_STRING"):
            return None
        if has_unsafe_header(environ):
            return None  # Django answers 400 (cheeseshop.inputs)
        secure = self._secure(environ)
        if secure is _REFUSED:
            return None  # Django answers 400
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None  # Django redirects to https (or, for an exempt path, answers)
        return match[1], secure

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answerable = self._answerable(environ)
        if answerable is None:
            return self.application(environ, start_response)
        name, secure = answerable
        # What Django's request_started signal does for every request (request_finished does it
        # again; the next request's start is soon enough: a thread's connections wait for it).
        close_old_connections()
        accept = environ.get("HTTP_ACCEPT", "")
        if_none_match = environ.get("HTTP_IF_NONE_MATCH", "")
        if name is None:
            environ[ROUTE_VARIABLE] = "index:simple-index"  # the route Django would have taken
            answer = simple_index_response(accept, if_none_match)
        else:
            environ[ROUTE_VARIABLE] = "index:simple-detail"
            answer = simple_detail_response(name, accept, if_none_match)
        headers = answer.headers + self.extra_headers[(secure, answer.status)]
        start_response(_STATUS_LINES[answer.status], headers)
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else answer.body]
