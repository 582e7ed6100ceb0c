"""PyPI's JSON API (``/pypi/<project>/json``, ``/pypi/<project>/<version>/json``), with PyPI's
field names, so tools written against pypi.org work unchanged.

Metadata comes from the release's own artifact (see the upload flow), not from upload forms.
Fields PyPI no longer fills (downloads, has_sig, bugtrack_url, docs_url) carry PyPI's constant
values.
"""

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix
from django.utils.translation import gettext as _

from cheeseshop.index import http
from cheeseshop.index.files import file_url
from cheeseshop.index.services import content_etag, format_upload_time
from cheeseshop.packaging.models import File, Project, Release, Role, RoleName
from cheeseshop.packaging.versions import find_release, latest_release, version_sort_key

UNKNOWN_DOWNLOADS = {"last_day": -1, "last_month": -1, "last_week": -1}


def _text_or_none(value: str) -> str | None:
    # PyPI reports metadata a release does not declare as null, not as "".
    return value or None


def _project_urls(release: Release) -> dict[str, str] | None:
    urls: dict[str, str] = {}
    if release.home_page:
        urls["Homepage"] = release.home_page
    if release.download_url:
        urls["Download"] = release.download_url
    declared = release.project_urls
    # Project-URL is "label, url" in core metadata; accept either its parsed or raw form.
    if isinstance(declared, dict):
        urls.update(declared)
    else:
        for entry in declared or []:
            label, _sep, url = str(entry).partition(",")
            if url.strip():
                urls[label.strip()] = url.strip()
    return urls or None


def _info(project: Project, release: Release, web_url: Callable[[str], str]) -> dict[str, Any]:
    project_page = web_url(f"project/{project.normalized_name}/")
    return {
        "author": _text_or_none(release.author),
        "author_email": _text_or_none(release.author_email),
        "bugtrack_url": None,
        "classifiers": list(release.classifiers),
        "description": release.description,
        "description_content_type": _text_or_none(release.description_content_type),
        "docs_url": None,
        "download_url": _text_or_none(release.download_url),
        "downloads": dict(UNKNOWN_DOWNLOADS),
        "dynamic": list(release.dynamic) or None,
        "home_page": _text_or_none(release.home_page),
        "keywords": _text_or_none(release.keywords),
        "license": _text_or_none(release.license),
        "license_expression": _text_or_none(release.license_expression),
        "license_files": list(release.license_files) or None,
        "maintainer": _text_or_none(release.maintainer),
        "maintainer_email": _text_or_none(release.maintainer_email),
        "name": project.name,
        "package_url": project_page,
        "platform": ", ".join(release.platforms) or None,
        "project_url": project_page,
        "project_urls": _project_urls(release),
        "provides_extra": list(release.provides_extra) or None,
        "release_url": web_url(f"project/{project.normalized_name}/{release.version}/"),
        "requires_dist": list(release.requires_dist) or None,
        "requires_python": _text_or_none(release.requires_python),
        "summary": _text_or_none(release.summary),
        "version": release.version,
        "yanked": release.yanked,
        "yanked_reason": _text_or_none(release.yanked_reason) if release.yanked else None,
    }


def _file(release: Release, file: File, download_url: Callable[[str], str]) -> dict[str, Any]:
    uploaded = file.upload_time.astimezone(UTC)
    return {
        "comment_text": _text_or_none(file.comment_text),
        "core-metadata": (
            {"sha256": file.metadata_sha256_digest} if file.metadata_sha256_digest else False
        ),
        "digests": {
            "blake2b_256": file.blake2_256_digest,
            "md5": file.md5_digest,
            "sha256": file.sha256_digest,
        },
        "downloads": -1,
        "filename": file.filename,
        "has_sig": False,
        "md5_digest": file.md5_digest,
        "packagetype": file.packagetype,
        "python_version": file.python_version,
        "requires_python": _text_or_none(file.requires_python or release.requires_python),
        "size": file.size,
        "upload_time": uploaded.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": format_upload_time(uploaded),
        "url": download_url(file.path),
        "yanked": release.yanked,
        "yanked_reason": _text_or_none(release.yanked_reason) if release.yanked else None,
    }


def _ownership(project: Project) -> dict[str, Any]:
    roles = sorted(
        Role.objects.filter(project=project).values_list("role_name", "user__username"),
        key=lambda role: (role[0] != RoleName.OWNER, role[0], role[1]),
    )
    return {
        "roles": [{"role": role_name, "user": username} for role_name, username in roles],
        "organization": None,
    }


def build_document(
    project: Project,
    version: str | None,
    *,
    web_url: Callable[[str], str],
    download_url: Callable[[str], str],
) -> dict[str, Any] | None:
    """The JSON API document for a project (``version`` None: its latest release, plus all
    releases) or for one of its releases; None when there is no such release.

    ``web_url`` makes an absolute URL of a site path, ``download_url`` of a stored file path.
    """
    # The JSON API serves the raw description, as PyPI does, never the pages' HTML.
    releases = list(Release.objects.filter(project=project).defer("description_html"))
    release = latest_release(releases) if version is None else find_release(releases, version)
    if release is None:
        return None
    files_by_release: dict[int, list[File]] = {r.pk: [] for r in releases}
    file_rows = File.objects.filter(release__project=project).order_by("filename")
    if version is not None:
        file_rows = file_rows.filter(release=release)
    for file in file_rows:
        files_by_release[file.release_id].append(file)

    document: dict[str, Any] = {
        "info": _info(project, release, web_url),
        "last_serial": project.last_serial,
        "ownership": _ownership(project),
    }
    if version is None:
        ordered = sorted(releases, key=lambda r: version_sort_key(r.version))
        document["releases"] = {
            r.version: [_file(r, f, download_url) for f in files_by_release[r.pk]] for r in ordered
        }
    document["urls"] = [_file(release, f, download_url) for f in files_by_release[release.pk]]
    document["vulnerabilities"] = []
    return document


def json_api_response(
    normalized_name: str,
    version: str | None,
    if_none_match: str,
    *,
    absolute_url: Callable[[str], str],
) -> http.Answer:
    """``/pypi/<project>/json`` (``version`` None) or ``/pypi/<project>/<version>/json``.

    ``absolute_url`` makes an absolute URL of a path on this site.
    """
    project = Project.objects.visible().filter(normalized_name=normalized_name).first()
    if project is None:
        return _not_found(
            _("No project named “%(name)s” is on this index.") % {"name": normalized_name}
        )
    root = get_script_prefix()
    document = build_document(
        project,
        version,
        web_url=lambda path: absolute_url(f"{root}{path}"),
        download_url=lambda path: file_url(path, index_root=absolute_url(f"{root}packages/")),
    )
    if document is None:
        if version is None:
            message = _("Project “%(name)s” has no releases.") % {"name": normalized_name}
        else:
            message = _("Project “%(name)s” has no release “%(version)s”.") % {
                "name": normalized_name,
                "version": version,
            }
        return _not_found(message)
    body = json.dumps(document).encode()
    return http.stored(
        body,
        etag=content_etag(body),
        content_type=http.JSON,
        cache_control=f"public, max-age={settings.CHEESESHOP_SIMPLE_MAX_AGE}",
        if_none_match=if_none_match,
        headers=[("X-PyPI-Last-Serial", str(project.last_serial))],
    )


def _not_found(message: str) -> http.Answer:
    return http.not_found(json.dumps({"message": message}), content_type=http.JSON)
