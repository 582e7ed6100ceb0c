"""A release's description on its page: the HTML rendered once, at upload, and stored.

Pages never render a description: ``cheeseshop.packaging.descriptions`` rendered it within a
time budget when the release was uploaded (or when migration 0004 added the column), and its
output is sanitized by readme-renderer (nh3, an allow-list of tags and attributes).
"""

from django.utils.safestring import SafeString, mark_safe

from cheeseshop.packaging.descriptions import code_language_as_class
from cheeseshop.packaging.models import Release


def release_readme_html(release: Release) -> SafeString:
    """The release's stored description HTML ("" when it has no description)."""
    # HTML stored before code languages became classes still says <pre lang="python">.
    html = code_language_as_class(release.description_html)
    # Safe: readme-renderer's output is sanitized by nh3 before it is stored, and the class
    # written in its place holds only a language name's characters.
    return mark_safe(html)  # noqa: S308
