"""The simple index: rendering a project's detail pages when it changes, and serving them.

Detail pages (PEP 503 HTML and PEP 691 JSON) are rendered once, inside the transaction that
changes the project (``render_pages``, packaging's publisher calls it), and stored as bytes in
``SimpleDetailPage``; serving one is a single indexed query and no rendering. Pages are not
translated: the stored bytes are what every client gets (and what TUF signs), so they must not
depend on the language of whoever caused the change.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from cheeseshop.index import http
from cheeseshop.index.files import FROM_SIMPLE_PAGE, file_url
from cheeseshop.index.models import SimpleDetailPage, SimpleIndexPage
from cheeseshop.index.negotiation import (
    CONTENT_TYPES,
    HTML_V1,
    JSON_V1,
    TEXT_HTML,
    select_media_type,
)
from cheeseshop.packaging.models import HIDDEN_STATUSES, Project, Release, visible_project
from cheeseshop.packaging.publishing import ProjectPages, Publication
from cheeseshop.packaging.versions import version_sort_key
from cheeseshop.prepared import PreparedQuery, PreparedUpdate

# PEP 629 version of what we serve: 1.1 (PEP 700) ... 1.4 (PEP 792).
API_VERSION = "1.4"


def format_upload_time(moment: datetime) -> str:
    """PEP 700's ``yyyy-mm-ddThh:mm:ss.ffffffZ``, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class FileLink:
    """One file as the simple pages list it."""

    filename: str
    url: str
    sha256: str
    requires_python: str
    metadata_sha256: str
    yanked: bool
    yanked_reason: str
    size: int
    upload_time: datetime


@dataclass(frozen=True)
class ProjectPage:
    """Everything a project's simple pages show, read from the database in one consistent go."""

    name: str
    normalized_name: str
    status: str
    status_reason: str
    serial: int
    versions: tuple[str, ...]
    files: tuple[FileLink, ...]


def _releases_and_files_query(project_id: int):
    # Releases with their files in one query; a release without files comes as one row whose
    # file columns are NULL.
    return Release.objects.filter(project_id=project_id).values_list(
        "id",
        "version",
        "yanked",
        "yanked_reason",
        "requires_python",
        "files__filename",
        "files__path",
        "files__sha256_digest",
        "files__requires_python",
        "files__metadata_sha256_digest",
        "files__size",
        "files__upload_time",
    )


# Read whenever a project changes: compiled once (see cheeseshop.prepared).
_RELEASES_AND_FILES = PreparedQuery(_releases_and_files_query, -1)


def load_project_page(project_id: int, *, project: Project | None = None) -> ProjectPage | None:
    """Read what the project's pages show; None for a project the index must not show.

    ``project``: the row as it is now in this transaction, if the caller holds it (then it is
    not read again).
    """
    if project is None:
        name, normalized_name, status, status_reason, serial = (
            Project.objects.filter(pk=project_id)
            .values_list("name", "normalized_name", "status", "status_reason", "last_serial")
            .get()
        )
    else:
        name, normalized_name, status, status_reason, serial = (
            project.name,
            project.normalized_name,
            project.status,
            project.status_reason,
            project.last_serial,
        )
    if status in HIDDEN_STATUSES:
        return None
    rows = _RELEASES_AND_FILES.rows(project_id)
    versions_by_release = {}
    links = []
    for (
        release_id,
        version,
        yanked,
        yanked_reason,
        release_requires_python,
        filename,
        path,
        sha256,
        requires_python,
        metadata_sha256,
        size,
        upload_time,
    ) in rows:
        versions_by_release[release_id] = version
        if filename is None:
            continue
        links.append(
            (
                version_sort_key(version),
                FileLink(
                    filename=filename,
                    url=file_url(path, index_root=FROM_SIMPLE_PAGE),
                    sha256=sha256,
                    requires_python=requires_python or release_requires_python,
                    metadata_sha256=metadata_sha256,
                    yanked=yanked,
                    yanked_reason=yanked_reason,
                    size=size,
                    upload_time=upload_time,
                ),
            )
        )
    links.sort(key=lambda pair: (pair[0], pair[1].filename))
    versions = sorted(versions_by_release.values(), key=version_sort_key)
    return ProjectPage(
        name=name,
        normalized_name=normalized_name,
        status=status,
        status_reason=status_reason,
        serial=serial,
        versions=tuple(versions),
        files=tuple(link for _key, link in links),
    )


def _html_anchor(link: FileLink) -> str:
    attributes = [f'href="{escape(link.url)}#sha256={escape(link.sha256)}"']
    if link.requires_python:
        attributes.append(f'data-requires-python="{escape(link.requires_python)}"')
    if link.yanked:
        attributes.append(f'data-yanked="{escape(link.yanked_reason)}"')
    if link.metadata_sha256:
        # PEP 714 name, plus PEP 658's for clients that predate it; both must agree.
        digest = escape(link.metadata_sha256)
        attributes.append(f'data-dist-info-metadata="sha256={digest}"')
        attributes.append(f'data-core-metadata="sha256={digest}"')
    return f"<a {' '.join(attributes)}>{escape(link.filename)}</a>"


def render_detail_html(page: ProjectPage) -> bytes:
    """The PEP 503 page (with PEP 592, 629, 658/714 and 792 additions)."""
    name = escape(page.name)
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        f'    <meta name="pypi:project-status" content="{escape(page.status)}">',
    ]
    if page.status_reason:
        lines.append(
            f'    <meta name="pypi:project-status-reason" content="{escape(page.status_reason)}">'
        )
    lines += [
        f"    <title>Links for {name}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>Links for {name}</h1>",
    ]
    lines += [f"    {_html_anchor(link)}<br />" for link in page.files]
    lines += ["  </body>", "</html>", f"<!--SERIAL {page.serial}-->", ""]
    return "\n".join(lines).encode()


def _json_file(link: FileLink) -> dict:
    metadata = {"sha256": link.metadata_sha256} if link.metadata_sha256 else False
    # PEP 592/691: false, or the reason, or true when yanked without one.
    yanked = (link.yanked_reason or True) if link.yanked else False
    return {
        "filename": link.filename,
        "url": link.url,
        "hashes": {"sha256": link.sha256},
        "requires-python": link.requires_python or None,
        "core-metadata": metadata,
        # PyPI's historical key name; "dist-info-metadata" itself crashes old pips (PEP 714).
        "data-dist-info-metadata": metadata,
        "yanked": yanked,
        "size": link.size,
        "upload-time": format_upload_time(link.upload_time),
    }


def render_detail_json(page: ProjectPage) -> bytes:
    """The PEP 691 document (with PEP 700 and 792 additions)."""
    status = {"status": page.status}
    if page.status_reason:
        status["reason"] = page.status_reason
    document = {
        "meta": {"api-version": API_VERSION, "_last-serial": page.serial},
        "name": page.normalized_name,
        "project-status": status,
        "versions": list(page.versions),
        "files": [_json_file(link) for link in page.files],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def content_etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# Read on every upload: compiled once (see cheeseshop.prepared).
def _page_id_query(project_id: int):
    return SimpleDetailPage.objects.filter(project_id=project_id).values_list("pk")[:1]


_PAGE_ID = PreparedQuery(_page_id_query, -1)
_PAGE_FIELDS = ("serial", "html", "json", "html_etag", "json_etag")
_PAGE_UPDATE = PreparedUpdate(SimpleDetailPage, _PAGE_FIELDS)


def refresh_project_pages(project: Project, *, current: bool = False) -> SimpleDetailPage | None:
    """Re-render a project's simple pages; call inside the transaction that changed it.

    A hidden (quarantined) project loses its pages (the index then answers 404); one with no
    files keeps a page that lists none, so deleting the last file never leaves stale links.
    ``current``: ``project`` holds the row as this transaction last saved it (and has it
    locked), so its fields are used as they are rather than read again.
    """
    note_index_change()
    page = load_project_page(project.pk, project=project if current else None)
    if page is None:
        SimpleDetailPage.objects.filter(project_id=project.pk).delete()
        return None
    html = render_detail_html(page)
    json_body = render_detail_json(page)
    rendered = {
        "serial": page.serial,
        "html": html,
        "json": json_body,
        "html_etag": content_etag(html),
        "json_etag": content_etag(json_body),
    }
    # Write over the stored row without reading its old bytes back; the first render creates
    # it, and a concurrent first render is resolved as update_or_create resolves it.
    found = _PAGE_ID.first(project.pk)
    if found is not None:
        _PAGE_UPDATE.run(found[0], *(rendered[name] for name in _PAGE_FIELDS))
        return SimpleDetailPage(pk=found[0], project_id=project.pk, **rendered)
    try:
        with transaction.atomic():
            return SimpleDetailPage.objects.create(project_id=project.pk, **rendered)
    except IntegrityError:
        stored, _created = SimpleDetailPage.objects.update_or_create(
            project_id=project.pk, defaults=rendered
        )
        return stored


def _simple_answer(
    media_type: str, etag: str, serial: int, body: bytes, if_none_match: str
) -> http.Answer:
    """A simple page (detail or index) in ``media_type``: 200, or 304 for a current copy."""
    return http.stored(
        body,
        etag=etag,
        content_type=CONTENT_TYPES[media_type],
        cache_control=f"public, max-age={settings.CHEESESHOP_SIMPLE_MAX_AGE}",
        if_none_match=if_none_match,
        headers=[("Vary", "Accept"), ("X-PyPI-Last-Serial", str(serial))],
    )


def _stored_page_query(etag_field: str, body_field: str) -> PreparedQuery:
    return PreparedQuery(
        lambda normalized_name: (
            SimpleDetailPage.objects.filter(
                visible_project("project__"), project__normalized_name=normalized_name
            )
            .order_by()
            .values_list("serial", etag_field, body_field)[:1]
        ),
        "\0normalized_name",
    )


# The hot path's one query (per representation), compiled once (see cheeseshop.prepared). The
# visibility rule is applied here as well as at render time, so that a project hidden by
# anything but set_status (a raw update) disappears from the index at once.
_STORED_PAGE = {
    JSON_V1: _stored_page_query("json_etag", "json"),
    HTML_V1: _stored_page_query("html_etag", "html"),
    TEXT_HTML: _stored_page_query("html_etag", "html"),
}


def _stored_page_row(normalized_name: str, media_type: str) -> tuple[int, str, bytes] | None:
    row = _STORED_PAGE[media_type].first(normalized_name)
    if row is None:
        return None
    serial, etag, body = row
    # PostgreSQL drivers may hand back a memoryview for bytea.
    return serial, etag, bytes(body)


def stored_page(normalized_name: str, media_type: str) -> bytes | None:
    """The stored bytes of a visible project's page in ``media_type`` (JSON_V1 or HTML_V1)."""
    row = _stored_page_row(normalized_name, media_type)
    return row[2] if row is not None else None


def stored_pages() -> Iterator[tuple[int, ProjectPages]]:
    """Every stored page of a visible project, with its project's id (for ``tuf init``)."""
    rows = (
        SimpleDetailPage.objects.filter(visible_project("project__"))
        .order_by("project_id")
        .values_list("project_id", "project__normalized_name", "html", "json")
    )
    for project_id, normalized_name, html, json_body in rows.iterator(chunk_size=500):
        yield project_id, ProjectPages(normalized_name, html=bytes(html), json=bytes(json_body))


def render_pages(project: Project) -> ProjectPages | None:
    """The publisher's renderer (``IndexConfig.ready``): ``project`` is the row as the
    changing transaction saved it, and locked."""
    page = refresh_project_pages(project, current=True)
    if page is None:
        return None
    return ProjectPages(project.normalized_name, html=page.html, json=page.json)


def _not_acceptable() -> http.Answer:
    return http.not_acceptable(
        _("This index serves none of the types your Accept header accepts; it serves %(types)s.")
        % {"types": ", ".join(CONTENT_TYPES)}
    )


def simple_detail_response(normalized_name: str, accept: str, if_none_match: str) -> http.Answer:
    """Serve ``/simple/<normalized_name>/``: one indexed query for the stored bytes.

    The caller redirects non-normalized names first.
    """
    media_type = select_media_type(accept)
    if media_type is None:
        return _not_acceptable()
    row = _stored_page_row(normalized_name, media_type)
    if row is None:
        return http.not_found(
            _("No project named “%(name)s” is on this index.") % {"name": normalized_name}
        )
    serial, etag, body = row
    return _simple_answer(media_type, etag, serial, body, if_none_match)


# --- The root, /simple/: stored too, re-rendered on the first request after a change --------

_INDEX_ROW = 1  # SimpleIndexPage's one row


def _index_state_query(etag_field: str):
    return PreparedQuery(
        lambda row: SimpleIndexPage.objects.filter(pk=row).values_list(
            "changes", "rendered_changes", "serial", etag_field
        )[:1],
        _INDEX_ROW,
    )


def _index_body_query(etag_field: str, body_field: str):
    return PreparedQuery(
        lambda row: (
            SimpleIndexPage.objects.filter(pk=row).values_list("serial", etag_field, body_field)
        )[:1],
        _INDEX_ROW,
    )


# Per request: one row by primary key (see cheeseshop.prepared); the bytes only when this
# process does not hold them already.
_INDEX_STATE = {JSON_V1: _index_state_query("json_etag"), HTML_V1: _index_state_query("html_etag")}
_INDEX_BODY = {
    JSON_V1: _index_body_query("json_etag", "json"),
    HTML_V1: _index_body_query("html_etag", "html"),
}


@dataclass(frozen=True)
class _IndexBytes:
    etag: str
    body: bytes


# The root's bytes as this process last served them, per representation (JSON_V1, HTML_V1):
# ~60 bytes a project, and served again only while the stored ETag is still theirs.
_held_index: dict[str, _IndexBytes] = {}


def note_index_change() -> None:
    """Mark the root stale; call in the transaction that changes what the index shows.

    One UPDATE of one column: its row stays locked until the change commits, which orders
    concurrent changes without reading any project.
    """
    marked = SimpleIndexPage.objects.filter(pk=_INDEX_ROW).update(changes=F("changes") + 1)
    if not marked:  # (a database emptied by hand, or by a test's flush)
        SimpleIndexPage.objects.update_or_create(pk=_INDEX_ROW, defaults={"changes": 1})


def note_removal(publication: Publication) -> None:
    """A deleted project leaves the root (its detail page goes with its row)."""
    if publication.project is None:
        note_index_change()


def _render_index(changes: int) -> None:
    """Render the root from the stored detail pages and store it as reflecting ``changes``
    (read before the projects, so that a change committed meanwhile leaves it stale)."""
    rows = (
        SimpleDetailPage.objects.filter(visible_project("project__"))
        .order_by("project__normalized_name")
        .values_list("project__name", "project__normalized_name", "serial")
    )
    projects = list(rows.iterator(chunk_size=5000))
    serial = max((last_serial for _name, _normalized, last_serial in projects), default=0)
    html = render_index_html(projects)
    json_body = render_index_json(projects, serial)
    SimpleIndexPage.objects.filter(pk=_INDEX_ROW, rendered_changes__lt=changes).update(
        rendered_changes=changes,
        serial=serial,
        html=html,
        json=json_body,
        html_etag=content_etag(html),
        json_etag=content_etag(json_body),
    )


def render_index_html(projects: list[tuple[str, str, int]]) -> bytes:
    """PEP 503's project list: ``projects`` as (name, normalized name, serial), sorted."""
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        "    <title>Simple index</title>",
        "  </head>",
        "  <body>",
    ]
    for name, normalized_name, _serial in projects:
        lines.append(f'    <a href="{escape(quote(normalized_name))}/">{escape(name)}</a>')
    lines += ["  </body>", "</html>", ""]
    return "\n".join(lines).encode()


def render_index_json(projects: list[tuple[str, str, int]], serial: int) -> bytes:
    """PEP 691's project list, with each project's serial and the highest."""
    document = {
        "meta": {"api-version": API_VERSION, "_last-serial": serial},
        "projects": [{"name": name, "_last-serial": last} for name, _normalized, last in projects],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def _index_row(media_type: str) -> tuple[int, str, bytes]:
    """``(serial, etag, body)`` of the stored root in ``media_type``, rendered first if a
    change made it stale.

    What is served reflects at least every change counted when this request read the row, so
    every change committed before the request began: a change committed while it renders is
    the next request's to see.
    """
    state = _INDEX_STATE[media_type]
    row = state.first(_INDEX_ROW)
    if row is None:  # (a database emptied by hand, or by a test's flush)
        SimpleIndexPage.objects.get_or_create(pk=_INDEX_ROW)
        row = state.first(_INDEX_ROW)
    changes, rendered_changes, serial, etag = row
    if rendered_changes < changes:
        _render_index(changes)  # (or another process stored one as recent, or more)
        _changes, _rendered, serial, etag = state.first(_INDEX_ROW)
    held = _held_index.get(media_type)
    if held is None or held.etag != etag:
        # (Serial and ETag read again with the bytes: another process may have stored newer.)
        serial, etag, body = _INDEX_BODY[media_type].first(_INDEX_ROW)
        held = _held_index[media_type] = _IndexBytes(etag, bytes(body))
    return serial, held.etag, held.body


def simple_index_response(accept: str, if_none_match: str) -> http.Answer:
    """Serve ``/simple/``: every project the index shows, as stored."""
    media_type = select_media_type(accept)
    if media_type is None:
        return _not_acceptable()
    stored_as = JSON_V1 if media_type == JSON_V1 else HTML_V1
    serial, etag, body = _index_row(stored_as)
    return _simple_answer(media_type, etag, serial, body, if_none_match)
