"""A release's description rendered to sanitized HTML, once, when the release is uploaded.

readme-renderer sanitizes what it produces (nh3, an allow-list of tags and attributes). A
description that does not render in its declared format gives ``None``: the upload rule (PyPI's
rule 21) refuses it. Rendering never raises: docutils recurses once per nesting level (400
nested list items exhaust Python's stack), so a crash of the renderer is a failure to render.

Rendering is costly (a 1 MB reStructuredText table takes docutils 14 s), and Python cannot
interrupt it from outside, so it runs in a child process given a time budget
(``CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT``) and killed when it overruns. A description too large
to render (``CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE``), too slow, or rendering to HTML too large
is shown as plain text instead; the pages show the stored HTML and never render.
"""

import email.message
import logging
import multiprocessing
import multiprocessing.forkserver
import re
import signal
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
# The page's title is its only h1 and the README sits in an h2 section: its headings go below.
HEADING_SHIFT = 2


def _demote_headings(html: str) -> str:
    def demote(match: re.Match) -> str:
        level = min(int(match.group(2)) + HEADING_SHIFT, 6)
        return f"<{match.group(1)}h{level}"

    return _HEADING_TAG_RE.sub(demote, html)


def for_the_page(html: str) -> str:
    """Rendered HTML as the release page shows it: headings below the page's own, no empty
    anchors."""
    return _demote_headings(_EMPTY_ANCHOR_RE.sub("", html))


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
    """Start the fork server now rather than at the first upload (it imports the renderers)."""
    _context()


def _render_in_child(connection, description: str, declared: str) -> None:
    connection.send_bytes(_STARTED)
    connection.send(render_in_format(description, declared))
    connection.close()


# The child says it started before it renders: the budget is the rendering's, not the fork
# server's start (it imports the renderers, seconds on a busy machine, once per process).
_STARTED = b"started"
_START_SECONDS = 60
# A killed child ends at once; the wait is bounded anyway, so no upload ever hangs on one.
_REAP_SECONDS = 5


class _Overran(Exception):
    """The child did not answer within the budget, or died without answering."""


def _render_within(description: str, declared: str, seconds: float) -> str | None:
    receiving, sending = _context().Pipe(duplex=False)
    child = _context().Process(
        target=_render_in_child, args=(sending, description, declared), daemon=True
    )
    child.start()
    sending.close()
    try:
        if not receiving.poll(_START_SECONDS):
            raise _Overran
        try:
            receiving.recv_bytes()
            if not receiving.poll(seconds):
                raise _Overran
            return receiving.recv()
        except EOFError:
            raise _Overran from None
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join(_REAP_SECONDS)
        if child.exitcode is not None:
            child.close()


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
