"""A WSGI fast path for the hottest URL an index has: ``GET /simple/<normalized-name>/``.

Installers fetch one such page per dependency per install. The page is stored pre-rendered
(``SimpleDetailPage``), so answering takes one indexed query; Django's request object,
URL resolver and middleware would cost several times that. This wrapper answers exactly the
requests the ``simple_detail`` view would answer with stored bytes, with the same
``SimpleResponse`` (plus the security headers the middleware would add), and hands everything
else — non-normalised names, query strings, other methods — to Django unchanged.
"""

import re
from collections.abc import Callable, Iterable

from csp.utils import build_policy
from django.conf import settings
from django.db import close_old_connections

from cheeseshop.index.services import SimpleResponse, simple_detail_response

# A PEP 503 normalised name: what canonicalize_name returns, and nothing else.
_NORMALIZED_DETAIL_PATH = re.compile(r"\A/simple/([a-z0-9]+(?:-[a-z0-9]+)*)/\Z")
_STATUS_LINES = {200: "200 OK", 304: "304 Not Modified", 404: "404 Not Found"}


def security_headers() -> list[tuple[str, str]]:
    """What SecurityMiddleware, XFrameOptionsMiddleware and CSPMiddleware add to every
    Django response."""
    headers = [("X-Frame-Options", settings.X_FRAME_OPTIONS)]
    if getattr(settings, "CONTENT_SECURITY_POLICY", None):
        headers.append(("Content-Security-Policy", build_policy()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return headers


class SimpleDetailFastPath:
    def __init__(self, application: Callable) -> None:
        self.application = application
        self.extra_headers = security_headers()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        match = _NORMALIZED_DETAIL_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or method not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return self.application(environ, start_response)
        # What Django's request_started / request_finished signals do for every request.
        close_old_connections()
        try:
            answer: SimpleResponse = simple_detail_response(
                match[1], environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_IF_NONE_MATCH", "")
            )
        finally:
            close_old_connections()
        start_response(_STATUS_LINES[answer.status], answer.headers + self.extra_headers)
        return [b"" if method == "HEAD" else answer.body]
