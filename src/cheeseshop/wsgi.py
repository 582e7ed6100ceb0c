import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")

django_application = get_wsgi_application()

from cheeseshop.index.fastpath import SimpleDetailFastPath  # noqa: E402  (needs apps loaded)


class ServerDuties:
    """What an HTTP server does for the application that uWSGI leaves to it.

    - The ``Date`` header an origin server must send (RFC 9110, 6.6.1): uWSGI's router passes
      the application's headers through as they are.
    - Reading the rest of a request body the application did not read (an upload refused on
      its credentials or its size): a worker that closes its socket with body bytes unread
      resets the connection, and the router then often loses the answer — twine saw
      "connection aborted" instead of the refusal. The rest is read before the answer is sent.
    """

    def __init__(self, application: Callable) -> None:
        self.application = application
        self._second = 0
        self._value = ""

    def date(self) -> str:
        now = int(time.time())
        if now != self._second:  # formatted once a second (a race formats it twice: harmless)
            self._value = formatdate(now, usegmt=True)
            self._second = now
        return self._value

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start_with_date(status, headers, exc_info=None):
            headers.append(("Date", self.date()))
            return start_response(status, headers, exc_info)

        answer = self.application(environ, start_with_date)
        if environ.get("CONTENT_LENGTH", "") in ("", "0"):
            return answer  # no body (and a file answer keeps the server's sendfile path)
        return _AfterTheWholeBody(answer, environ["wsgi.input"])


class _AfterTheWholeBody:
    """The application's answer, sent only once the request body has been read to its end
    (the rest dropped): then the router has forwarded all of it and the worker's socket holds
    nothing unread when it closes. Clients send the whole body before they read an answer, so
    this delays nothing they would see."""

    def __init__(self, answer: Iterable[bytes], body) -> None:
        self.answer = answer
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        with contextlib.suppress(OSError):  # a client gone meanwhile: the answer fails too
            while self.body.read(64 * 1024):
                pass
        yield from self.answer

    def close(self) -> None:
        if hasattr(self.answer, "close"):
            self.answer.close()


application = ServerDuties(SimpleDetailFastPath(django_application))
