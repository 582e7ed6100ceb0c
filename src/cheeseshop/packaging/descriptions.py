"""A release's description rendered to sanitized HTML, with readme-renderer.

readme-renderer sanitizes what it produces (nh3, an allow-list of tags and attributes). A
description that does not render in its declared format gives ``None``: the upload rule (PyPI's
rule 21) refuses it. Rendering never raises: docutils recurses once per nesting level (400
nested list items exhaust Python's stack), so a crash of the renderer is a failure to render.
"""

import email.message
import logging

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt

logger = logging.getLogger(__name__)

DEFAULT_CONTENT_TYPE = "text/x-rst"
MARKDOWN_VARIANTS = {"GFM", "CommonMark"}


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
