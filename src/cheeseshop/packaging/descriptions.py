"""A release's description rendered to sanitized HTML, once, when the release is uploaded.

readme-renderer sanitizes what it produces (nh3, an allow-list of tags and attributes). A
description that does not render in its declared format gives ``None``: the upload rule (PyPI's
rule 21) refuses it. Rendering never raises: docutils recurses once per nesting level (400
nested list items exhaust Python's stack), so a crash of the renderer is a failure to render.

Rendering is costly (a 1 MB reStructuredText table takes docutils 14 s), and Python cannot
interrupt it from outside, so it runs in a long-lived child process given a time budget per
description (``CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT``), ended when it overruns and replaced.
In the web server one renderer host forks the renderers of every process; elsewhere each
process has a fork server of its own.
A description too large to render (``CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE``), too slow, or
rendering to HTML too large is shown as plain text instead; the pages show the stored HTML and
never render.
"""

import contextlib
import email.message
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import re
import signal
import socket
import threading
from dataclasses import dataclass

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt
from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_CONTENT_TYPE = "text/x-rst"
MARKDOWN_VARIANTS = {"GFM", "CommonMark"}
# Rendered HTML may be this many times the render size limit (Markdown's "> > > ..." quotes
# grow ~27 times); larger is shown as plain text.
MAX_HTML_GROWTH = 4


def parse_content_type(declared: str) -> tuple[str, dict[str, str]]:
    """The media type (lowercased) and parameters of a Description-Content-Type."""
    message = email.message.Message()
    message["content-type"] = declared or DEFAULT_CONTENT_TYPE
    return message.get_content_type(), dict(message.get_params()[1:])


def _render_with_readme_renderer(description: str, media_type: str, params: dict) -> str | None:
    if media_type == "text/markdown":
        variant = params.get("variant", "GFM")
        return readme_renderer.markdown.render(
            description, variant=variant if variant in MARKDOWN_VARIANTS else "GFM"
        )
    if media_type == "text/plain":
        return readme_renderer.txt.render(description)
    return readme_renderer.rst.render(description)


def render_in_format(description: str, declared: str) -> str | None:
    """Sanitized HTML for ``description`` in its declared format (reStructuredText when none is
    declared), or ``None`` when it does not render in that format — also when the renderer
    crashes (nesting deeper than the stack, a bug in a renderer) rather than answer."""
    media_type, params = parse_content_type(declared)
    try:
        return _render_with_readme_renderer(description, media_type, params)
    except RecursionError:
        return None
    except Exception:
        logger.exception("the description renderer failed for %r", media_type)
        return None


def render_as_plain_text(description: str) -> str:
    """The description escaped, line breaks kept: what is shown when it does not render."""
    return readme_renderer.txt.render(description) or ""


# --- for the release page --------------------------------------------------------------------

# Sanitized output has only well-formed heading tags; text that looks like one is escaped.
_HEADING_TAG_RE = re.compile(r"<(/?)h([1-6])\b")
# GitHub-style heading anchors are empty links: nothing for a screen reader to announce.
_EMPTY_ANCHOR_RE = re.compile(r'<a href="#[^"<>]*" rel="nofollow"></a>')
# cmarkgfm marks a fenced block's code language as <pre lang="python">, but lang names a human
# language (axe: valid-lang); the page says it with a class instead. Names are kept only when
# they are plainly a language name (c++, objective-c, c#): the value is written into a class.
_CODE_LANGUAGE_RE = re.compile(r'<pre lang="([^"]*)">')
_CODE_LANGUAGE_NAME_RE = re.compile(r"[\w+#.-]{1,40}")
# The page's title is its only h1 and the README sits in an h2 section: its headings go below.
HEADING_SHIFT = 2


def _demote_headings(html: str) -> str:
    def demote(match: re.Match) -> str:
        level = min(int(match.group(2)) + HEADING_SHIFT, 6)
        return f"<{match.group(1)}h{level}"

    return _HEADING_TAG_RE.sub(demote, html)


def code_language_as_class(html: str) -> str:
    """``html`` with each ``<pre lang="x">`` written ``<pre class="language-x">``."""

    def as_class(match: re.Match) -> str:
        name = match.group(1)
        if not _CODE_LANGUAGE_NAME_RE.fullmatch(name):
            return "<pre>"
        return f'<pre class="language-{name}">'

    return _CODE_LANGUAGE_RE.sub(as_class, html)


def for_the_page(html: str) -> str:
    """Rendered HTML as the release page shows it: headings below the page's own, no empty
    anchors, code languages as classes."""
    return code_language_as_class(_demote_headings(_EMPTY_ANCHOR_RE.sub("", html)))


# --- rendering within a budget ---------------------------------------------------------------


@dataclass(frozen=True)
class RenderedDescription:
    """``html`` is what the release page shows (empty for no description); ``renders`` is False
    when the description does not render in its declared format (the upload refuses it)."""

    html: str
    renders: bool = True


_FORKSERVER_LOCK = threading.Lock()
_forkserver_context = None


def _context():
    """A fork server, started once with the renderers imported: each render is a fork of a
    small single-threaded process, not of a multi-threaded server."""
    global _forkserver_context  # noqa: PLW0603 - one fork server per process
    with _FORKSERVER_LOCK:
        if _forkserver_context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            # uWSGI's request threads block every signal, and a started process inherits the
            # mask: a fork server blind to SIGCHLD never reports its children's ends, and
            # waiting for one would hang the upload. It starts with no signal blocked.
            blocked = signal.pthread_sigmask(signal.SIG_SETMASK, set())
            try:
                multiprocessing.forkserver.ensure_running()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            _forkserver_context = context
        return _forkserver_context


def start_renderer() -> None:
    """Start the renderer now rather than at the first upload (it imports the renderers)."""
    with _RENDERER_LOCK:
        _the_renderer().ensure_started()


def _serve_renders(connection) -> None:
    """A renderer process: says it is ready (and its pid), then renders what it is sent until
    the pipe closes. Each render is given its budget by the kernel: SIGALRM's default action
    ends the process however deep in C the renderer is (a Python handler would wait for it)."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    connection.send_bytes(_READY + str(os.getpid()).encode())
    while True:
        if not connection.poll(_IDLE_SECONDS):
            # An idle index need not keep a renderer per process.
            with contextlib.suppress(OSError):
                connection.send(_GOODBYE)
            return
        try:
            description, declared, seconds = connection.recv()
        except EOFError:
            return
        signal.setitimer(signal.ITIMER_REAL, max(seconds, _SHORTEST_BUDGET))
        html = render_in_format(description, declared)
        signal.setitimer(signal.ITIMER_REAL, 0)
        connection.send(html)


# The renderer says it is ready before it is sent anything: the budget is the rendering's, not
# the process's start (the fork server imports the renderers, seconds on a busy machine, once).
_READY = b"ready "
_START_SECONDS = 60
# (A timer of 0 is no timer.)
_SHORTEST_BUDGET = 0.001
# A renderer sent nothing for this long says goodbye and ends; a description sent meanwhile is
# sent again to a new one (a fork: milliseconds).
_IDLE_SECONDS = 600
_GOODBYE = ("goodbye",)  # (an answer is a str or None)
# The renderer ends itself at the end of its budget; its client waits this much longer for the
# answer or the end (then gives up on it anyway, so no upload ever hangs on one).
_END_SECONDS = 5
# A killed process ends at once; the wait is bounded anyway.
_REAP_SECONDS = 5


class _Overran(Exception):
    """The renderer did not answer within the budget, or died without answering."""


class _Renderer:
    """One long-lived renderer process per server process, replaced when it overruns or has
    gone idle: starting a process per description cost more than rendering a typical one."""

    def __init__(self) -> None:
        self.connection = None
        self.pid = None

    def _start(self):
        """A connection to a new renderer process."""
        raise NotImplementedError

    def _discard(self) -> None:
        """Forget the renderer process (it has ended or is made to)."""

    def ensure_started(self) -> None:
        if self.connection is not None:
            if not self.connection.poll(0):
                return  # idle and alive: a renderer that ended has its goodbye or end to read
            self.stop()
        try:
            self.connection = self._start()
            if self.connection.poll(_START_SECONDS):
                ready = self.connection.recv_bytes()
                if ready.startswith(_READY):
                    self.pid = int(ready[len(_READY) :])
                    return
        except (EOFError, OSError):
            pass
        self.stop()
        raise _Overran

    def render(self, description: str, declared: str, seconds: float) -> str | None:
        for _attempt in range(2):  # a renderer that went idle as it was sent one: a new one
            answer = self._render_once(description, declared, seconds)
            if answer != _GOODBYE:
                return answer
        raise _Overran

    def _render_once(self, description: str, declared: str, seconds: float):
        self.ensure_started()
        try:
            # A renderer that has just ended refuses the description; what it sent before it
            # ended (a goodbye, or nothing) is read all the same.
            with contextlib.suppress(OSError):
                self.connection.send((description, declared, seconds))
            if self.connection.poll(seconds + _END_SECONDS):
                answer = self.connection.recv()
                if answer == _GOODBYE:
                    self.stop()
                return answer
        except (EOFError, OSError):
            pass
        self.stop()  # overran (or died): gone, and replaced at the next render
        raise _Overran

    def stop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self._discard()
        self.pid = None


class _ForkedRenderer(_Renderer):
    """A renderer forked for this process by its own fork server (tests, commands, task
    workers outside the web server)."""

    def __init__(self) -> None:
        super().__init__()
        self.process = None

    def _start(self):
        context = _context()
        connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve_renders, args=(theirs,), daemon=True)
        self.process.start()
        theirs.close()
        return connection

    def _discard(self) -> None:
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(_REAP_SECONDS)
            if self.process.exitcode is not None:
                self.process.close()
            self.process = None


# --- one host of renderers for the whole web server ------------------------------------------
#
# Each web worker with a fork server of its own held three processes (fork server, resource
# tracker, renderer: ~37 MB). In the web server, the master listens on a Unix socket (in its
# private run directory) before it forks, and one uWSGI mule, forked with the renderers already
# imported, forks one renderer per connection: each web worker's renderer is a fork of a
# single-threaded process that shares the master's pages.

_host_listener: socket.socket | None = None
_host_path: str | None = None


def listen_for_renders(path: str) -> None:
    """In uWSGI's master, before it forks: the socket the web workers reach renderers on."""
    global _host_listener, _host_path  # (inherited by the processes forked from this one)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    _host_listener, _host_path = listener, path


class _HostedRenderer(_Renderer):
    """A renderer forked for this process by the web server's renderer host."""

    def _start(self):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.connect(_host_path)
        except OSError as error:
            client.close()
            logger.warning("no renderer host at %s (%s)", _host_path, error)
            raise
        return multiprocessing.connection.Connection(client.detach())


def host_renderers() -> None:
    """The renderer host (a uWSGI mule): forks a renderer for each connection until it is
    stopped. Renderers end when their connection closes or their budget runs out; the kernel
    reaps them (SIGCHLD ignored)."""
    if _host_listener is None:
        raise RuntimeError("the master did not listen for renders (listen_for_renders)")
    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_hosting)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        connection, _address = _host_listener.accept()
        if os.fork() == 0:  # the renderer
            try:
                _host_listener.close()
                for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGCHLD):
                    signal.signal(signum, signal.SIG_DFL)
                # A stopping server's workers close their connections: that ends the renderer.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                _serve_renders(multiprocessing.connection.Connection(connection.detach()))
            finally:
                os._exit(0)
        connection.close()


def _stop_hosting(signum, frame):
    raise SystemExit(0)


# One renderer per server process; its threads take turns.
_RENDERER_LOCK = threading.Lock()
_renderer: _Renderer | None = None


def _the_renderer() -> _Renderer:
    global _renderer  # noqa: PLW0603 - one per process, of the kind this process can have
    if _renderer is None:
        _renderer = _HostedRenderer() if _host_path is not None else _ForkedRenderer()
    return _renderer


def _render_within(description: str, declared: str, seconds: float) -> str | None:
    with _RENDERER_LOCK:
        return _the_renderer().render(description, declared, seconds)


def _plain_text(description: str, reason: str) -> RenderedDescription:
    logger.info("description shown as plain text: %s", reason)
    return RenderedDescription(for_the_page(render_as_plain_text(description)))


def render_description(description: str, declared: str) -> RenderedDescription:
    """The description as the release page shows it, rendered once within the budget."""
    if not description.strip():
        return RenderedDescription("")
    max_size = settings.CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE
    if len(description) > max_size:
        return _plain_text(description, f"{len(description)} characters")
    budget = settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT
    try:
        html = _render_within(description, declared, budget)
    except _Overran:
        return _plain_text(description, f"not rendered within {budget} s")
    if html is None:
        return RenderedDescription(for_the_page(render_as_plain_text(description)), False)
    if len(html) > MAX_HTML_GROWTH * max_size:
        return _plain_text(description, f"{len(html)} characters of HTML")
    return RenderedDescription(for_the_page(html))
