"""The web server ``cheeseshop serve`` runs: uWSGI (from the ``pyuwsgi`` wheel), configured here.

Why uWSGI: its HTTP router and request parsing are C, so a pre-rendered simple page costs half
the server CPU it costs under gunicorn (0.20 against 0.40 ms, benchmarks/index_bench.py); it
streams request bodies to the application (the size limit holds while an upload arrives); and
it sends the status line as the application gives it — the legacy upload protocol carries each
refusal's reason in the reason phrase, which twine prints (granian, measured too, replaces it
with the standard phrase).

Layout: one HTTP router process holds the clients' keep-alive connections and hands each
request to a pool of worker processes (threads inside) over a Unix socket in a directory only
this user can enter — the uwsgi protocol lets whoever speaks it set any request variable
(client address, scheme), so it must not be reachable by other local users as a TCP port
would be.
"""

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

WORKER_THREADS = 4
# Seconds. A client silent this long in the middle of a request body is dropped:
BODY_STALL_TIMEOUT = 60
# the router waits this long for a worker's answer (a large upload is checked before it is
# answered), and this long for a client's request headers:
ANSWER_TIMEOUT = 300
HEADERS_TIMEOUT = 30
# Every request header together: larger requests are answered 431. (uWSGI's default, 4 KiB, is
# smaller than some browsers' cookies and proxies' forwarded headers.) uWSGI's buffer (its
# router's too) is twice that, so that it passes such requests on to be answered; beyond its
# buffer it can only close the connection.
HEADERS_LIMIT = 32 * 1024
HEADERS_BUFFER = 2 * HEADERS_LIMIT
# The router's buffer for each connection, both ways: it writes an answer to the client as it
# reads it from the worker, a buffer at a time. With the default (a memory page, 4 KiB) an answer
# went out in many small writes; 32 KiB is the largest that works (from 64 KiB on, request
# bodies are cut off: a uwsgi packet's size is 16 bits). See also no_delay_for_clients().
ROUTER_BUFFER = 32 * 1024
# The task worker `serve` runs beside the web workers (database task backend): a uWSGI mule.
TASK_WORKER_MULE = "cheeseshop.taskqueue.workers:run_beside_the_web_server"
# The one process that forks the description renderers of every web worker: a uWSGI mule too,
# and the option naming its socket, which the master reads when it loads the application.
RENDERER_HOST_MULE = "cheeseshop.packaging.descriptions:host_renderers"
RENDERER_SOCKET_OPTION = "cheeseshop-renderers"
# A stopping server lets requests in progress finish for this long.
GRACEFUL_SECONDS = 10

# What uWSGI prints about itself when it starts and stops, line by line: informational, and in
# the way of the lines that matter (the URLs `serve` prints, the application's warnings and
# errors). Anything else uWSGI says — a port in use, an application that fails to load — passes.
_NOISE_LINES = (
    r"\*\*\* Starting uWSGI",
    r"compiled with version",
    r"os: ",
    r"nodename: ",
    r"machine: ",
    r"clock source",
    r"pcre jit",
    r"detected (?:number of CPU cores|binary path|max file descriptor)",
    r"current working directory",
    r"uWSGI running as root",
    r"\*\*\* WARNING: you are running uWSGI as root",
    r"your (?:processes number|memory page size|server socket listen|mercy for graceful)",
    r"lock engine",
    r"thunder lock",
    r"uWSGI http bound",
    r"uwsgi socket \d+ bound",
    r"Python version",
    r"--- Python VM already initialized",
    r"Python main interpreter",
    r"python threads support",
    r"mapped \d+ bytes",
    r"\*\*\* Operational MODE",
    r"spawned uWSGI",
    r"spawned \d+ offload threads",
    r"mule \d+ \(pid: \d+\) annihilated",
    r"WSGI app \d+ \(mountpoint",
    r"running \"unix_signal:15 ",
    r"graceful shutdown triggered",
    r"Gracefully killing worker",
    r"\.\.\.gracefully killing workers",
    r"\.\.\.The work of process",
    r"SIGINT/SIGTERM received",
    r"gateway \"uWSGI http",
    r"worker \d+ buried",
    r"goodbye to uWSGI",
    r"VACUUM",
    r"removing unix socket",
)
# Some lines start with a time stamp ("Sun Nov 22 16:04:47 2026 - ").
STARTUP_NOISE = re.compile(
    r"^(?:\w{3} \w{3} +\d+ [\d:]+ \d{4} - )?(?:" + "|".join(_NOISE_LINES) + ")"
)


# The access log: one line per request, written by uWSGI (in C, after the answer) with its own
# variables — the client's socket address, method, URI, status, body size, milliseconds — and
# those the application sets (cheeseshop.operations.observer): "client", the address behind
# CHEESESHOP_TRUSTED_PROXIES; "iso_time" and "path", JSON-ready, for JSON lines.
ACCESS_LOG_TEXT = (
    '%(ltime) access {client} "%(method) %(uri) %(proto)" %(status) %(rsize) %(msecs)ms'
)
ACCESS_LOG_JSON = (
    '{"time":"%(iso_time)","level":"INFO","logger":"access","client":"{client}",'
    '"method":"%(method)","path":"%(path)","status":%(status),"bytes":%(rsize),'
    '"duration_ms":%(msecs)}'
)


def access_log_format(*, json: bool, behind_proxies: bool) -> str:
    template = ACCESS_LOG_JSON if json else ACCESS_LOG_TEXT
    return template.replace("{client}", "%(client)" if behind_proxies else "%(addr)")


def uwsgi_arguments(
    address: str,
    *,
    processes: int,
    socket_path: Path,
    renderer_socket_path: Path,
    verbose: bool = False,
    access_log: str | None = None,
    task_worker: bool = False,
) -> list[str]:
    """uWSGI's command line for serving ``cheeseshop.wsgi`` on ``address`` (``host:port``),
    with ``access_log`` the format of its access log's lines (None: no access log). The router
    reaches the workers on ``socket_path``, the workers their renderers on
    ``renderer_socket_path`` (both in a directory only this user can enter)."""
    arguments = [
        "--strict",  # an option this uWSGI does not know is an error, not a silent no-op
        "--master",
        "--need-app",  # an application that fails to import stops the server
        "--single-interpreter",
        "--auto-procname",
        "--procname-prefix-spaced",
        "cheeseshop",
        # The router: keep-alive with clients, "100 Continue" for clients that ask for it.
        "--http",
        address,
        "--http-keepalive",
        "--http-auto-chunked",
        "--http-manage-expect",
        "--http-timeout",
        str(ANSWER_TIMEOUT),
        "--http-buffer-size",
        str(ROUTER_BUFFER),
        "--http-headers-timeout",
        str(HEADERS_TIMEOUT),
        # The workers, reached through the router only.
        "--socket",
        str(socket_path),
        "--chmod-socket=600",  # (an optional value: only the = form takes it)
        "--processes",
        str(processes),
        "--threads",
        str(WORKER_THREADS),
        "--buffer-size",
        str(HEADERS_BUFFER),
        "--socket-timeout",
        str(BODY_STALL_TIMEOUT),
        # Files (wsgi.file_wrapper: distributions, core metadata) are sent by sendfile from an
        # offload thread of the worker, not by its request thread through Python.
        "--offload-threads",
        "1",
        "--module",
        "cheeseshop.wsgi:application",
        # SIGTERM (and Ctrl-C, which `serve` turns into SIGTERM) stops gracefully: requests in
        # progress finish, up to GRACEFUL_SECONDS.
        "--die-on-term",
        "--hook-master-start",
        "unix_signal:15 gracefully_kill_them_all",
        "--worker-reload-mercy",
        str(GRACEFUL_SECONDS),
        "--reload-mercy",
        str(GRACEFUL_SECONDS),
        # Everything the processes write goes through the master, which drops uWSGI's own
        # start-up and shut-down chatter.
        "--log-master",
        "--set-placeholder",
        f"{RENDERER_SOCKET_OPTION}={renderer_socket_path}",
        f"--mule={RENDERER_HOST_MULE}",
    ]
    if task_worker:
        # The database task queue's worker, forked from the master like the web workers.
        arguments += [
            f"--mule={TASK_WORKER_MULE}",
            "--mule-reload-mercy",
            str(GRACEFUL_SECONDS),
        ]
    arguments += ["--log-format", access_log] if access_log else ["--disable-logging"]
    if not verbose:
        arguments += ["--log-drain", STARTUP_NOISE.pattern]
    return arguments


def no_delay_for_clients() -> list[tuple]:
    """Set TCP_NODELAY on every listening TCP socket of this process (uWSGI's master holds the
    router's when it loads the application); the addresses it was set on.

    uWSGI's router never sets it on the connections it accepts, and Linux gives an accepted
    connection its listening socket's setting. Without it, Nagle's algorithm held the last
    write of every answer longer than one write until the client's delayed acknowledgement:
    40 ms an answer on a kept-alive connection (91 simple pages a second on one connection,
    1 MB files at 110 MB/s); with it, 15,000 pages a second and 1 GB/s.
    """
    done = []
    for name in os.listdir("/proc/self/fd"):
        try:
            listening = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue  # not a socket (or gone)
        with listening:
            if (
                listening.family in (socket.AF_INET, socket.AF_INET6)
                and listening.type == socket.SOCK_STREAM
                and listening.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            ):
                listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done.append(listening.getsockname())
    return done


# --- What the server does for the application (wsgi.py wraps the application in it) ----------

# The paths whose views take a request body (forms, the upload, the token API, leak reports);
# every other path (the index, the web pages, files, TUF metadata, /_/health, /_/ready and
# /_/metrics) takes none.
BODY_PATHS = (
    "/legacy",
    "/account/",
    "/manage/",
    "/admin/",
    "/api/",
    "/_/secrets/",
    "/_/github/",
    "/i18n/",
)
# The WSGI environment key naming the URL pattern that answered a request (for the metrics).
ROUTE_VARIABLE = "cheeseshop.route"


def takes_body(path: str) -> bool:
    return path.startswith(BODY_PATHS)


@dataclass(frozen=True)
class Refusal:
    """A request answered before the application sees it, its body left unread."""

    status: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()


def refusal_of(environ: dict, *, max_form_size: int) -> Refusal | None:
    """Why a request is refused from its head alone, or None.

    Nothing here reads the body: a request refused for its body (a slow or endless one sent to
    a page that takes none) must not hold a worker thread while it arrives.
    """
    return _head_refusal(environ) or _body_refusal(environ, max_form_size)


def _head_size(environ: dict) -> int:
    """The request headers' size, about as sent (each name and value): every request pays for
    this, so it is one pass and one join."""
    headers = [key + value for key, value in environ.items() if key[:5] == "HTTP_"]
    return len("".join(headers))


def _head_refusal(environ: dict) -> Refusal | None:
    if "HTTP_TRANSFER_ENCODING" not in environ and _head_size(environ) <= HEADERS_LIMIT:
        return None  # (the common case, without the translation machinery below)
    from django.utils.translation import gettext as _

    if _head_size(environ) > HEADERS_LIMIT:
        return Refusal(
            "431 Request Header Fields Too Large",
            _("The request's headers are larger than %(size)d KiB in all.")
            % {"size": HEADERS_LIMIT // 1024},
        )
    if "HTTP_TRANSFER_ENCODING" in environ:
        return Refusal(
            "411 Length Required",
            _(
                "Chunked request bodies are not supported: send the body with a "
                "Content-Length header."
            ),
        )
    return None


def _body_refusal(environ: dict, max_form_size: int) -> Refusal | None:
    length = environ.get("CONTENT_LENGTH", "")
    if length in ("", "0"):
        return None
    from django.utils.translation import gettext as _

    if not length.isdigit():
        return Refusal("400 Bad Request", _("The Content-Length header is not a number."))
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS") or not takes_body(path):
        return Refusal(
            "405 Method Not Allowed",
            _("This address takes no request body."),
            (("Allow", "GET, HEAD"),),
        )
    if not path.startswith("/legacy") and int(length) > max_form_size:
        # (An upload's limit depends on its project: the upload view applies it while reading.)
        return Refusal(
            "413 Content Too Large",
            _("The request body is larger than %(size)d KiB.") % {"size": max_form_size // 1024},
        )
    return None


class BodyTooSlow(OSError):
    """The request body fell behind the minimum rate and was cut off."""


class TimedBody:
    """A request body (``wsgi.input``) that must keep arriving at an average of ``min_rate``
    bytes a second once its first ``grace`` seconds are over.

    Under uWSGI a read blocks until all it asked for has arrived, so a slow client would hold
    the worker thread for as long as it likes; the watchdog shuts the reading side of the
    connection when the deadline passes, which ends the read. Reads are cut into pieces small
    enough to arrive within the grace period at the minimum rate.
    """

    def __init__(self, stream, *, min_rate: int, grace: float, fd: int | None = None) -> None:
        self.stream = stream
        self.min_rate = min_rate
        self.grace = grace
        self.fd = fd
        self.started = time.monotonic()
        self.received = 0
        self.cut_off = False
        self.piece = max(1024, min(64 * 1024, min_rate * int(grace) // 2))

    @property
    def deadline(self) -> float:
        return self.started + self.grace + self.received / self.min_rate

    def _checked(self, read: Callable[[int], bytes], size: int) -> bytes:
        if self.cut_off or time.monotonic() > self.deadline:
            self.cut_off = True
            raise BodyTooSlow("the request body arrived too slowly")
        try:
            data = read(size)
        except OSError:
            if self.cut_off:
                raise BodyTooSlow("the request body arrived too slowly") from None
            raise
        self.received += len(data)
        return data

    def read(self, size: int = -1, /) -> bytes:
        wanted = size if size is not None and size >= 0 else None
        pieces = []
        while wanted is None or wanted > 0:
            piece = self.piece if wanted is None else min(self.piece, wanted)
            data = self._checked(self.stream.read, piece)
            if not data:
                break
            pieces.append(data)
            if wanted is not None:
                wanted -= len(data)
        return b"".join(pieces)

    def readline(self, size: int = -1, /) -> bytes:
        piece = self.piece if size is None or size < 0 else min(size, self.piece)
        return self._checked(self.stream.readline, piece)

    def cut(self) -> None:
        self.cut_off = True
        if self.fd is None:
            return
        connection = socket.socket(fileno=self.fd)
        try:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RD)
        finally:
            connection.detach()  # the server owns the descriptor


class Watchdog:
    """One thread per worker process, started when first needed: cuts off the bodies that
    passed their deadline."""

    INTERVAL = 0.5

    def __init__(self) -> None:
        self._bodies: set[TimedBody] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, body: TimedBody) -> None:
        with self._lock:
            self._bodies.add(body)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="body-watchdog", daemon=True
                )
                self._thread.start()

    def forget(self, body: TimedBody) -> None:
        with self._lock:
            self._bodies.discard(body)

    def _run(self) -> None:
        while True:
            time.sleep(self.INTERVAL)
            now = time.monotonic()
            # Under the lock: a body still watched belongs to a request in progress, so its
            # descriptor is still that request's connection (not yet reused by another).
            with self._lock:
                for body in self._bodies:
                    if now > body.deadline:
                        body.cut()


def _connection_fd() -> int | None:
    """The current request's connection under uWSGI (None elsewhere: the test client)."""
    try:
        import uwsgi
    except ImportError:
        return None
    return uwsgi.connection_fd()


class ServerDuties:
    """What an HTTP server does for the application that uWSGI leaves to it.

    - The ``Date`` header an origin server must send (RFC 9110, 6.6.1): uWSGI's router passes
      the application's headers through as they are.
    - Refusing, from the head alone, what the application must not spend a thread on: huge
      headers (431), chunked bodies (411), bodies sent where none is taken (405) and form
      bodies over the limit (413).
    - A minimum rate for request bodies (408 when a body falls behind): see ``TimedBody``.
    - Reading the rest of a request body the application did not read (an upload refused on
      its credentials or its size): a worker that closes its socket with body bytes unread
      resets the connection, and the router then often loses the answer — twine saw
      "connection aborted" instead of the refusal. The rest is read (at the minimum rate)
      before the answer is sent; clients send the whole body before they read an answer, so
      this delays nothing they would see.
    """

    def __init__(
        self, application: Callable, *, min_rate: int, grace: float, max_form_size: int
    ) -> None:
        self.application = application
        self.min_rate = min_rate
        self.grace = grace
        self.max_form_size = max_form_size
        self.watchdog = Watchdog()
        self._second = 0
        self._value = ""

    def date(self) -> str:
        now = int(time.time())
        if now != self._second:  # formatted once a second (a race formats it twice: harmless)
            self._value = formatdate(now, usegmt=True)
            self._second = now
        return self._value

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        refusal = refusal_of(environ, max_form_size=self.max_form_size)
        if refusal is not None:
            return self._refuse(refusal, start_response)
        if environ.get("CONTENT_LENGTH", "") in ("", "0"):

            def start_with_date(status, headers, exc_info=None):
                headers.append(("Date", self.date()))
                return start_response(status, headers, exc_info)

            # No body: the answer goes out as the application gives it (a file answer keeps
            # the server's sendfile path).
            return self.application(environ, start_with_date)
        body = TimedBody(
            environ["wsgi.input"], min_rate=self.min_rate, grace=self.grace, fd=_connection_fd()
        )
        environ["wsgi.input"] = body
        self.watchdog.watch(body)
        try:
            return self._answer_after_the_body(environ, body, start_response)
        finally:
            self.watchdog.forget(body)

    def _refuse(self, refusal: Refusal, start_response: Callable) -> list[bytes]:
        content = (refusal.message + "\n").encode()
        start_response(
            refusal.status,
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(content))),
                ("Date", self.date()),
                # The body stays unread: the connection cannot carry another request.
                ("Connection", "close"),
                *refusal.headers,
            ],
        )
        return [content]

    def _answer_after_the_body(
        self, environ: dict, body: TimedBody, start_response: Callable
    ) -> Iterable[bytes]:
        started: list = []

        def start_later(status, headers, exc_info=None):
            started[:] = [status, headers, exc_info]
            return lambda data: None  # (the legacy write() callable: Django never uses it)

        answer = self.application(environ, start_later)
        with contextlib.suppress(OSError):  # a client gone or cut off: decided below
            while body.read(64 * 1024):
                pass
        if body.cut_off:
            if hasattr(answer, "close"):
                answer.close()
            from django.utils.translation import gettext as _

            return self._refuse(
                Refusal(
                    "408 Request Timeout",
                    _(
                        "The request body arrived slower than %(rate)d bytes a second; "
                        "it was cut off."
                    )
                    % {"rate": self.min_rate},
                ),
                start_response,
            )
        status, headers, exc_info = started
        headers.append(("Date", self.date()))
        start_response(status, headers, exc_info)
        return answer
