"""A release's description as safe HTML, rendered with readme-renderer and cached.

readme-renderer sanitizes what it produces (nh3, an allow-list of tags and attributes), so the
result may be marked safe. Rendering reStructuredText is slow; the HTML is cached under the
release id and a digest of what was rendered, so a changed description never reads a stale
entry.
"""

import email.message
import hashlib
import re

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from cheeseshop.packaging.models import Release

CACHE_TIMEOUT = 24 * 60 * 60
DEFAULT_CONTENT_TYPE = "text/x-rst"
MARKDOWN_VARIANTS = {"GFM", "CommonMark"}

# Sanitized output has only well-formed heading tags; text that looks like one is escaped.
_HEADING_TAG_RE = re.compile(r"<(/?)h([1-6])\b")
# GitHub-style heading anchors are empty links: nothing for a screen reader to announce.
_EMPTY_ANCHOR_RE = re.compile(r'<a href="#[^"<>]*" rel="nofollow"></a>')


def parse_content_type(declared: str) -> tuple[str, dict[str, str]]:
    """The media type (lowercased) and parameters of a Description-Content-Type."""
    message = email.message.Message()
    message["content-type"] = declared or DEFAULT_CONTENT_TYPE
    return message.get_content_type(), dict(message.get_params()[1:])


# The page's title is its only h1 and the README sits in an h2 section: its headings go below.
HEADING_SHIFT = 2


def _demote_headings(html: str) -> str:
    def demote(match: re.Match) -> str:
        level = min(int(match.group(2)) + HEADING_SHIFT, 6)
        return f"<{match.group(1)}h{level}"

    return _HEADING_TAG_RE.sub(demote, html)


def render_description(description: str, content_type: str) -> str:
    """Sanitized HTML for ``description`` in its declared format (reStructuredText when none
    is declared). A description that does not render in its format is shown as plain text,
    as PyPI does."""
    if not description.strip():
        return ""
    media_type, params = parse_content_type(content_type)
    rendered: str | None
    if media_type == "text/markdown":
        variant = params.get("variant", "GFM")
        rendered = readme_renderer.markdown.render(
            description, variant=variant if variant in MARKDOWN_VARIANTS else "GFM"
        )
    elif media_type == "text/plain":
        rendered = readme_renderer.txt.render(description)
    else:
        rendered = readme_renderer.rst.render(description)
    if rendered is None:
        rendered = readme_renderer.txt.render(description) or ""
    return _demote_headings(_EMPTY_ANCHOR_RE.sub("", rendered))


def _cache_key(release: Release) -> str:
    digest = hashlib.sha256(
        f"{release.description_content_type}\0{release.description}".encode()
    ).hexdigest()
    return f"web:readme:{release.pk}:{digest}"


def release_readme_html(release: Release) -> SafeString:
    """The release's rendered description, from the cache when it was rendered before."""
    key = _cache_key(release)
    html = cache.get(key)
    if html is None:
        html = render_description(release.description, release.description_content_type)
        cache.set(key, html, CACHE_TIMEOUT)
    # Safe: readme-renderer's output is sanitized by nh3 before it is cached.
    return mark_safe(html)  # noqa: S308
