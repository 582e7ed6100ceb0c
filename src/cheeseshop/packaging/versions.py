"""Ordering a project's versions, and which release a page or a URL means: rules every reader of
the index shares (the simple pages, the JSON API, the web and management pages)."""

from collections.abc import Iterable

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from cheeseshop.packaging.models import Release


def version_sort_key(version: str) -> tuple:
    """Sorts PEP 440 versions by their meaning, after any version that is not PEP 440 (those
    by their text), and equal versions ("1.0", "1.0.0") by their text, so order is total."""
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, (), version)


def newest_first(releases: Iterable[Release]) -> list[Release]:
    """Highest version first."""
    return sorted(releases, key=lambda release: version_sort_key(release.version), reverse=True)


def latest_release(releases: Iterable[Release]) -> Release | None:
    """The release a project's page (and ``/pypi/<project>/json``) describes: the highest
    version, preferring releases that are not yanked, then ones that are not pre-releases."""
    return max(
        releases,
        key=lambda release: (
            not release.yanked,
            not release.is_prerelease,
            version_sort_key(release.version),
        ),
        default=None,
    )


def find_release(releases: Iterable[Release], version: str) -> Release | None:
    """The release a URL names: by its exact version string, else by its canonical form."""
    releases = list(releases)
    for release in releases:
        if release.version == version:
            return release
    try:
        canonical = canonicalize_version(version)
    except ValueError:
        return None
    return next((release for release in releases if release.canonical_version == canonical), None)
