"""The outermost layer of the web application (``cheeseshop.wsgi``): every request passes
through it, those the simple-page fast path answers without Django and those the server refuses
from their head alone included.

It counts and times each request for the metrics, gives the web server's access log what only
the application knows (the client's address behind proxies, the path escaped for JSON lines),
and answers 503 with one log line, not a traceback, when the database cannot be reached.
"""

import json
import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from cheeseshop.audit.services import client_ip_of
from cheeseshop.errors import first_line
from cheeseshop.operations.metrics import REQUEST_SECONDS, REQUESTS
from cheeseshop.operations.probes import DATABASE_DOWN
from cheeseshop.webserver import ROUTE_VARIABLE

try:
    import uwsgi
except ImportError:  # not under uWSGI (tests, another WSGI server): no access log of ours
    uwsgi = None

logger = logging.getLogger("cheeseshop.operations")

UNROUTED = "unrouted"  # no URL pattern answered: an unknown path, or refused by the server
# The short answer to a request that needed the database while it was down.
DATABASE_DOWN_STATUS = "503 Service Unavailable"
DATABASE_DOWN_HEADERS = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Retry-After", "30"),
    ("Cache-Control", "no-store"),
)


def database_down_content() -> bytes:
    return (_("The index's database cannot be reached; try again in a moment.") + "\n").encode()


class RequestObserver:
    def __init__(self, application: Callable) -> None:
        self.application = application
        access_log = uwsgi is not None and settings.CHEESESHOP_ACCESS_LOG
        # What the access log format (cheeseshop.webserver.access_log_format) reads from us.
        self.log_client = access_log and bool(settings.CHEESESHOP_TRUSTED_PROXIES)
        self.log_json = access_log and settings.CHEESESHOP_LOG_FORMAT == "json"
        self._children: dict[tuple[str, str], tuple] = {}
        self._second = 0
        self._time = ""

    def _metrics(self, route: str, status: str) -> tuple:
        """The counter and histogram children of a route and status, looked up once."""
        children = self._children.get((route, status))
        if children is None:
            children = (REQUESTS.labels(route, status), REQUEST_SECONDS.labels(route))
            self._children[(route, status)] = children
        return children

    def _iso_time(self) -> str:
        now = int(time.time())
        if now != self._second:  # formatted once a second (a race formats it twice: harmless)
            self._time = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now))
            self._second = now
        return self._time

    def _log_variables(self, environ: dict) -> None:
        if self.log_client:
            uwsgi.set_logvar("client", client_ip_of(environ) or "-")
        if self.log_json:
            uwsgi.set_logvar("iso_time", self._iso_time())
            uri = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
            uwsgi.set_logvar("path", json.dumps(uri)[1:-1])

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        status = "500"

        def start_and_note(status_line, headers, exc_info=None):
            nonlocal status
            status = status_line[:3]
            return start_response(status_line, headers, exc_info)

        try:
            return self.application(environ, start_and_note)
        except DATABASE_DOWN as exc:  # raised past Django: the fast path's query
            logger.error(
                "database unavailable (%s %s): %s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                first_line(exc),
            )
            content = database_down_content()
            headers = [*DATABASE_DOWN_HEADERS, ("Content-Length", str(len(content)))]
            start_and_note(DATABASE_DOWN_STATUS, headers)
            return [content]
        finally:
            if self.log_client or self.log_json:
                self._log_variables(environ)
            requests, seconds = self._metrics(environ.get(ROUTE_VARIABLE, UNROUTED), status)
            requests.inc()
            seconds.observe(time.perf_counter() - started)
