import os
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")

django_application = get_wsgi_application()

from cheeseshop.index.fastpath import SimpleDetailFastPath  # noqa: E402  (needs apps loaded)


class DateHeader:
    """Adds the ``Date`` header an origin server must send (RFC 9110, 6.6.1): uWSGI's router
    passes the application's headers through as they are."""

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

        return self.application(environ, start_with_date)


application = DateHeader(SimpleDetailFastPath(django_application))
