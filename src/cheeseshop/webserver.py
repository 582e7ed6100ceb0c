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

import re
from pathlib import Path

WORKER_THREADS = 4
# Seconds. A client silent this long in the middle of a request body is dropped:
BODY_STALL_TIMEOUT = 60
# the router waits this long for a worker's answer (a large upload is checked before it is
# answered), and this long for a client's request headers:
ANSWER_TIMEOUT = 300
HEADERS_TIMEOUT = 30
# Every request header together (uWSGI refuses larger requests; its default, 4 KiB, is smaller
# than some browsers' cookies and proxies' forwarded headers).
HEADERS_BUFFER = 32 * 1024
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


def uwsgi_arguments(
    address: str, *, processes: int, socket_path: Path, verbose: bool = False
) -> list[str]:
    """uWSGI's command line for serving ``cheeseshop.wsgi`` on ``address`` (``host:port``)."""
    arguments = [
        "--strict",  # an option this uWSGI does not know is an error, not a silent no-op
        "--master",
        "--need-app",  # an application that fails to import stops the server
        "--lazy-apps",  # each worker imports Django itself: no connection crosses a fork
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
        # No line per request (as before); everything the processes write goes through the
        # master, which drops uWSGI's own start-up and shut-down chatter.
        "--disable-logging",
        "--log-master",
    ]
    if not verbose:
        arguments += ["--log-drain", STARTUP_NOISE.pattern]
    return arguments
