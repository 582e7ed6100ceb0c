"""What the public pages show, read from the database: visible projects, a release page's
contents, the home page's numbers, a user's projects.

Quarantined projects are invisible to every public page, as they are to the index.
"""

from dataclasses import dataclass
from email.utils import getaddresses
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.urls import get_script_prefix

from cheeseshop.index.files import file_url
from cheeseshop.packaging.models import (
    File,
    Project,
    Release,
    Role,
    RoleName,
    visible_project,
)
from cheeseshop.packaging.versions import newest_first

LATEST_RELEASES_SHOWN = 10
WEB_URL_SCHEMES = {"http", "https"}
SHORT_LICENSE_MAX = 100


def find_visible_project(normalized_name: str) -> Project | None:
    return Project.objects.visible().filter(normalized_name=normalized_name).first()


# What the release history needs: descriptions can be large, and a project has many releases.
HISTORY_FIELDS = (
    "id",
    "project_id",
    "version",
    "canonical_version",
    "is_prerelease",
    "yanked",
    "yanked_reason",
    "created",
)


def releases_newest_first(project: Project) -> list[Release]:
    """The project's releases for its history, highest version first, without their
    metadata (``load_release`` reads the one a page shows)."""
    return newest_first(Release.objects.filter(project=project).only(*HISTORY_FIELDS))


def load_release(release: Release) -> Release:
    """``release``'s metadata, for the page that shows it: the description as the HTML
    rendered at upload, not its source (up to CHEESESHOP_MAX_METADATA_SIZE, read for nothing)."""
    return Release.objects.defer("description").get(pk=release.pk)


# --- Home page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteCounts:
    projects: int
    releases: int
    files: int
    users: int


def site_counts() -> SiteCounts:
    return SiteCounts(
        projects=Project.objects.visible().count(),
        releases=Release.objects.visible().count(),
        files=File.objects.served().count(),
        users=get_user_model().objects.filter(is_active=True).count(),
    )


def latest_releases(limit: int = LATEST_RELEASES_SHOWN) -> list[Release]:
    """The most recently published releases that are not yanked, of visible projects."""
    return list(
        Release.objects.visible()
        .filter(yanked=False)
        .select_related("project")
        .order_by("-created", "-pk")[:limit]
    )


# --- Project and release pages ---------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Person:
    """An author or maintainer as the metadata names them."""

    name: str
    emails: list[Link]


@dataclass(frozen=True)
class ClassifierGroup:
    name: str
    classifiers: list[str]


@dataclass(frozen=True)
class FileRow:
    file: File
    download_url: str


@dataclass(frozen=True)
class ReleasePage:
    project: Project
    release: Release
    latest: Release
    history: list[Release]
    files: list[FileRow]
    links: list[Link]
    classifier_groups: list[ClassifierGroup]
    keywords: list[str]
    authors: list[Person]
    maintainers_declared: list[Person]
    roles: list[Role]
    license_name: str
    license_text: str

    @property
    def is_latest(self) -> bool:
        return self.release.pk == self.latest.pk

    @property
    def has_meta(self) -> bool:
        return bool(
            self.license_name
            or self.license_text
            or self.release.requires_python
            or self.authors
            or self.maintainers_declared
            or self.keywords
        )


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links: metadata is the uploader's text, and a ``javascript:``
    URL must never be clickable."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_URL_SCHEMES and bool(parts.netloc)


def project_links(release: Release) -> list[Link]:
    """Home page, download URL and Project-URL entries, in that order, web URLs only."""
    candidates: list[tuple[str, str]] = []
    if release.home_page:
        candidates.append(("Homepage", release.home_page))
    if release.download_url:
        candidates.append(("Download", release.download_url))
    declared = release.project_urls
    if isinstance(declared, dict):
        candidates.extend((str(label), str(url)) for label, url in declared.items())
    else:
        # Project-URL's raw form, "label, url", from an older upload.
        for entry in declared or []:
            label, _sep, url = str(entry).partition(",")
            candidates.append((label.strip(), url.strip()))
    links: list[Link] = []
    seen: set[str] = set()
    for label, raw_url in candidates:
        url = raw_url.strip()
        if is_web_url(url) and url not in seen:
            seen.add(url)
            links.append(Link(label or url, url))
    return links


def group_classifiers(classifiers: list[str]) -> list[ClassifierGroup]:
    """Classifiers grouped by their first part ("License", "Topic" ...), sorted."""
    groups: dict[str, list[str]] = {}
    for classifier in classifiers:
        top, _sep, rest = str(classifier).partition(" :: ")
        groups.setdefault(top.strip(), []).append(rest.strip() or top.strip())
    return [ClassifierGroup(name, sorted(items)) for name, items in sorted(groups.items())]


def split_keywords(keywords: str) -> list[str]:
    # Core metadata keywords are comma separated; old uploads separated them by spaces.
    separator = "," if "," in keywords else None
    return [keyword.strip() for keyword in keywords.split(separator) if keyword.strip()]


def _email_links(addresses: str) -> list[Link]:
    links = []
    for _name, address in getaddresses([addresses]):
        local, at, domain = address.partition("@")
        if at and local and domain and not any(c.isspace() for c in address):
            links.append(Link(address, f"mailto:{address}"))
    return links


def declared_people(name: str, emails: str) -> list[Person]:
    """The author (or maintainer) fields as one entry, with their email addresses as links."""
    links = _email_links(emails)
    if not name and not links:
        return []
    return [Person(name.strip(), links)]


def license_parts(release: Release) -> tuple[str, str]:
    """A short license name for the sidebar, and a long license text to show folded away.

    The SPDX License-Expression is the name when there is one; a one-line License field is a
    name too; anything longer is a license text.
    """
    license_field = release.license.strip()
    if release.license_expression:
        return release.license_expression, license_field
    if license_field and "\n" not in license_field and len(license_field) <= SHORT_LICENSE_MAX:
        return license_field, ""
    return "", license_field


def download_url(file: File) -> str:
    return file_url(file.path, index_root=f"{get_script_prefix()}packages/")


def project_roles(project: Project) -> list[Role]:
    """Collaborators, Owners first, then by username."""
    return list(
        Role.objects.filter(project=project, user__is_active=True)
        .select_related("user")
        .annotate(
            owner_first=Case(
                When(role_name=RoleName.OWNER, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("owner_first", "user__username")
    )


def build_release_page(
    project: Project, release: Release, history: list[Release], latest: Release
) -> ReleasePage:
    files = [
        FileRow(file, download_url(file))
        for file in File.objects.filter(release=release).order_by("packagetype", "filename")
    ]
    license_name, license_text = license_parts(release)
    return ReleasePage(
        project=project,
        release=release,
        latest=latest,
        history=history,
        files=files,
        links=project_links(release),
        classifier_groups=group_classifiers(list(release.classifiers or [])),
        keywords=split_keywords(release.keywords),
        authors=declared_people(release.author, release.author_email),
        maintainers_declared=declared_people(release.maintainer, release.maintainer_email),
        roles=project_roles(project),
        license_name=license_name,
        license_text=license_text,
    )


# --- User pages -------------------------------------------------------------------------------


def user_roles(user) -> list[Role]:
    """The user's roles on visible projects that have a release, by project name."""
    return list(
        Role.objects.filter(visible_project("project__"), user=user)
        .filter(Exists(Release.objects.filter(project=OuterRef("project"))))
        .select_related("project")
        .order_by("project__normalized_name")
    )
