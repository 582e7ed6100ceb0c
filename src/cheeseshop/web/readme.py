"""A release's description as safe HTML, rendered with readme-renderer and cached.

readme-renderer sanitizes what it produces (nh3, an allow-list of tags and attributes), so the
result may be marked safe. Rendering reStructuredText is slow; the HTML is cached under the
release id and a digest of what was rendered, so a changed description never reads a stale
entry.
"""

import hashlib
import re

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from cheeseshop.packaging.descriptions import (
    parse_content_type,
    render_as_plain_text,
    render_in_format,
)
from cheeseshop.packaging.models import Release

__all__ = ["parse_content_type", "release_readme_html", "render_description"]

CACHE_TIMEOUT = 24 * 60 * 60

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


def render_description(description: str, content_type: str) -> str:
    """Sanitized HTML for ``description`` in its declared format (reStructuredText when none
    is declared). A description that does not render in its format is shown as plain text,
    as PyPI does."""
    if not description.strip():
        return ""
    rendered = render_in_format(description, content_type)
    if rendered is None:
        rendered = render_as_plain_text(description)
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
