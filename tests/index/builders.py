"""Rows for index tests, made directly (no upload), with real digests and stored bytes."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import Version

from cheeseshop.index.services import refresh_project_pages
from cheeseshop.packaging.descriptions import (
    for_the_page,
    render_as_plain_text,
    render_in_format,
)
from cheeseshop.packaging.models import File, PackageType, Project, Release


def make_project(name: str = "Sample_Project", **fields) -> Project:
    normalized = canonicalize_name(name)
    fields.setdefault("last_serial", 1)
    return Project.objects.create(
        name=name,
        normalized_name=normalized,
        ultranormalized_name=normalized.replace("-", ""),
        **fields,
    )


def description_html(description: str, content_type: str = "") -> str:
    """The HTML an upload stores for this description, rendered here without the budget's
    child process (quicker for tests that make many releases)."""
    if not description.strip():
        return ""
    rendered = render_in_format(description, content_type)
    return for_the_page(rendered if rendered is not None else render_as_plain_text(description))


def make_release(project: Project, version: str = "1.0", **fields) -> Release:
    fields.setdefault("metadata_version", "2.4")
    if "description_html" not in fields:
        fields["description_html"] = description_html(
            fields.get("description", ""), fields.get("description_content_type", "")
        )
    fields.setdefault("is_prerelease", Version(version).is_prerelease)
    return Release.objects.create(
        project=project,
        version=version,
        canonical_version=canonicalize_version(version),
        **fields,
    )


def store(path: str, content: bytes) -> None:
    storage = storages["packages"]
    # Content addressed: an existing object at this path already holds these bytes.
    if not storage.exists(path):
        storage.save(path, ContentFile(content))


def make_file(
    release: Release,
    filename: str | None = None,
    *,
    content: bytes | None = None,
    metadata: bytes | None = None,
    stored: bool = True,
    **fields,
) -> File:
    """A file of ``release``; a wheel unless ``filename`` says otherwise. ``metadata`` gives
    it a PEP 658 core metadata file."""
    project_name = release.project.normalized_name.replace("-", "_")
    if filename is None:
        filename = f"{project_name}-{release.version}-py3-none-any.whl"
    if content is None:
        content = f"archive bytes of {filename}".encode()
    blake2 = hashlib.blake2b(content, digest_size=32).hexdigest()
    path = f"{blake2[:2]}/{blake2[2:4]}/{blake2[4:]}/{filename}"
    packagetype = PackageType.WHEEL if filename.endswith(".whl") else PackageType.SDIST
    file = File.objects.create(
        release=release,
        filename=filename,
        packagetype=packagetype,
        python_version="py3" if packagetype == PackageType.WHEEL else "source",
        size=len(content),
        md5_digest=hashlib.md5(content).hexdigest(),  # noqa: S324 - PyPI's legacy field
        sha256_digest=hashlib.sha256(content).hexdigest(),
        blake2_256_digest=blake2,
        path=path,
        metadata_sha256_digest=hashlib.sha256(metadata).hexdigest() if metadata else "",
        metadata_blake2_256_digest=(
            hashlib.blake2b(metadata, digest_size=32).hexdigest() if metadata else ""
        ),
        **fields,
    )
    if stored:
        store(path, content)
        if metadata:
            store(file.metadata_path, metadata)
    return file


def publish(project: Project) -> None:
    """The index's part of a change: bump the serial, re-render (no audit event, no TUF; the
    whole seam is ``cheeseshop.packaging.publishing.publish``)."""
    project.last_serial += 1
    project.save(update_fields=["last_serial"])
    refresh_project_pages(project)
