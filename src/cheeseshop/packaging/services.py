"""The packaging service: how an accepted distribution becomes project, release and file.

Everything here runs in one database transaction with the audit events it records; the stored
objects are written inside it and removed again if it does not commit, so a failed upload leaves
no row and no object behind.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import Credential, client_ip, hash_ip, record_events
from cheeseshop.flags.services import ensure_project_creation_allowed
from cheeseshop.index.services import refresh_project_pages
from cheeseshop.packaging import storage
from cheeseshop.packaging.errors import UploadRejected
from cheeseshop.packaging.models import (
    File,
    FilenameRegistry,
    PackageType,
    Project,
    Release,
    Role,
    RoleName,
)
from cheeseshop.packaging.names import check_new_project_name, normalize_name, ultranormalize_name
from cheeseshop.tuf import services as tuf_services


@dataclass(frozen=True)
class Distribution:
    """One uploaded file, received and validated, ready to be added to the index."""

    filename: str
    packagetype: str
    python_version: str
    size: int
    md5_digest: str
    sha256_digest: str
    blake2_256_digest: str
    local_path: str
    project_name: str
    version: str
    release_fields: dict[str, Any]
    requires_python: str = ""
    comment: str = ""
    # Core metadata served beside a wheel (PEP 658), with its digests.
    metadata_bytes: bytes | None = None
    metadata_sha256_digest: str = ""
    metadata_blake2_256_digest: str = ""


@dataclass(frozen=True)
class Uploader:
    """Who uploads, with which credential, from which request (for the audit trail)."""

    user: Any
    credential: Credential
    token: Any = None
    request: Any = None
    user_agent: str = ""


def find_project(name: str) -> Project | None:
    return Project.objects.filter(normalized_name=normalize_name(name)).first()


def ensure_can_upload(user, project: Project) -> None:
    """Owners and Maintainers may upload to a project; nobody else."""
    if not Role.objects.filter(user=user, project=project).exists():
        raise UploadRejected(
            _("The user '%(user)s' isn't allowed to upload to project '%(project)s'.")
            % {"user": user.username, "project": project.name},
            status=403,
        )


def find_existing_file(filename: str, sha256: str, blake2_256: str) -> File | None:
    """The file this upload repeats exactly, if any; any other collision is refused.

    An exact repeat (same name, same bytes) is not an error, so that ``twine upload
    --skip-existing`` and retried uploads work.
    """
    # At most two rows can collide: one by name, one by content.
    collisions = list(File.objects.filter(Q(filename=filename) | Q(blake2_256_digest=blake2_256)))
    existing = next((f for f in collisions if f.filename == filename), None) or next(
        iter(collisions), None
    )
    if existing is None:
        if FilenameRegistry.objects.filter(filename=filename).exists():
            raise UploadRejected(
                _(
                    "This filename was previously used by a file that has since been deleted. "
                    "Use a different version."
                )
            )
        return None
    if (
        existing.filename == filename
        and existing.sha256_digest == sha256
        and existing.blake2_256_digest == blake2_256
    ):
        return existing
    raise UploadRejected(
        _("File already exists ('%(filename)s', with blake2_256 hash '%(hash)s').")
        % {"filename": existing.filename, "hash": existing.blake2_256_digest}
    )


_RATE = re.compile(r"\A\s*(\d+)\s*/\s*(second|minute|hour|day)\s*\Z")
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _parse_rate(rate: str) -> tuple[int, timedelta]:
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"rate limit {rate!r} is not of the form N/second|minute|hour|day")
    return int(match[1]), timedelta(seconds=_PERIODS[match[2]])


def _check_project_creation_rate(uploader: Uploader) -> None:
    """A moving window over the audit trail's own ``project:create`` events.

    Counting recorded events is exact across processes and machines and needs no extra store.
    """
    now = timezone.now()
    created = Event.objects.filter(tag=EventTag.PROJECT_CREATE)
    checks = [(settings.CHEESESHOP_PROJECT_CREATE_USER_LIMIT, {"actor": uploader.user})]
    if uploader.request is not None:
        ip_hash = hash_ip(client_ip(uploader.request))
        checks.append((settings.CHEESESHOP_PROJECT_CREATE_IP_LIMIT, {"ip_hash": ip_hash}))
    for rate, condition in checks:
        limit, window = _parse_rate(rate)
        if created.filter(time__gte=now - window, **condition).count() >= limit:
            raise UploadRejected(_("Too many new projects created"), status=429)


# (tag, record_event keyword arguments): events are recorded at the end of the transaction, so
# the audit chain's lock (held until commit) is not held while the file is being stored.
PendingEvents = list[tuple[EventTag, dict[str, Any]]]


def _create_project(name: str, uploader: Uploader, events: PendingEvents) -> Project:
    ensure_project_creation_allowed()
    check_new_project_name(name)
    _check_project_creation_rate(uploader)
    project = Project.objects.create(
        name=name,
        normalized_name=normalize_name(name),
        ultranormalized_name=ultranormalize_name(name),
    )
    Role.objects.create(user=uploader.user, project=project, role_name=RoleName.OWNER)
    events.append((EventTag.PROJECT_CREATE, {"project": project}))
    events.append(
        (
            EventTag.PROJECT_ROLE_ADD,
            {
                "project": project,
                "additional": {"target_user": uploader.user.username, "role_name": RoleName.OWNER},
            },
        )
    )
    events.append(
        (
            EventTag.ACCOUNT_ROLE_ADD,
            {
                "user": uploader.user,
                "additional": {"project": project.name, "role_name": RoleName.OWNER},
            },
        )
    )
    return project


def _record_all(uploader: Uploader, events: PendingEvents) -> list[Event]:
    """Record ``events`` in order, each by ``uploader`` with their credential and request."""
    by_uploader = {
        "request": uploader.request,
        "actor": uploader.user,
        "credential": uploader.credential,
    }
    return record_events([(tag, {**by_uploader, **kwargs}) for tag, kwargs in events])


def file_size_limit(project: Project | None) -> int:
    """The largest file ``project`` (or a new project) accepts: the setting, or the project's
    own higher limit."""
    own = project.upload_limit if project is not None else None
    return max(settings.CHEESESHOP_MAX_FILE_SIZE, own or 0)


def file_too_large(project_name: str, limit: int) -> UploadRejected:
    return UploadRejected(
        _("File too large. Limit for project '%(project)s' is %(limit)d MB.")
        % {"project": project_name, "limit": limit // (1024 * 1024)}
    )


def _check_sizes(project: Project, dist: Distribution) -> None:
    file_limit = file_size_limit(project)
    if dist.size > file_limit:
        raise file_too_large(project.name, file_limit)
    project_limit = settings.CHEESESHOP_MAX_PROJECT_SIZE
    used = File.objects.filter(release__project=project).aggregate(total=Sum("size"))["total"] or 0
    if used + dist.size > project_limit:
        raise UploadRejected(
            _(
                "Project size too large. Limit for project '%(project)s' total size is "
                "%(limit)d GB."
            )
            % {"project": project.name, "limit": project_limit // (1024**3)}
        )


def _get_or_create_release(
    project: Project, dist: Distribution, uploader: Uploader, events: PendingEvents
) -> Release:
    fields = dist.release_fields
    release = Release.objects.filter(
        project=project, canonical_version=fields["canonical_version"]
    ).first()
    if release is not None:
        return release
    release = Release.objects.create(
        project=project,
        uploader=uploader.user,
        uploaded_via=uploader.user_agent[:256],
        **fields,
    )
    events.append(
        (
            EventTag.PROJECT_RELEASE_ADD,
            {
                "project": project,
                "additional": {
                    "version": release.version,
                    "canonical_version": release.canonical_version,
                },
            },
        )
    )
    return release


def max_upload_size() -> int:
    """The largest file any project may receive: the bound applied while streaming."""
    from django.db.models import Max

    largest = Project.objects.aggregate(m=Max("upload_limit"))["m"] or 0
    return max(settings.CHEESESHOP_MAX_FILE_SIZE, largest)


def add_distribution(dist: Distribution, uploader: Uploader) -> tuple[File, bool]:
    """Add a validated distribution; returns the file and whether it was new.

    A concurrent upload that creates the same project or release first makes this transaction
    fail on a unique constraint; it is retried once, and then sees the other's rows.
    """
    try:
        return _add_distribution(dist, uploader)
    except IntegrityError:
        return _add_distribution(dist, uploader)


def _add_distribution(dist: Distribution, uploader: Uploader) -> tuple[File, bool]:
    stored: list[str] = []
    try:
        with transaction.atomic():
            result = _add_rows_and_store(dist, uploader, stored)
    except BaseException:
        for path in stored:
            storage.delete_quietly(path)
        raise
    return result


def _add_rows_and_store(
    dist: Distribution, uploader: Uploader, stored: list[str]
) -> tuple[File, bool]:
    # Lock the project row: uploads to one project are serialised (release creation, the
    # one-sdist rule and size totals stay exact), uploads to different projects are not.
    project = (
        Project.objects.select_for_update()
        .filter(normalized_name=normalize_name(dist.project_name))
        .first()
    )
    events: PendingEvents = []
    if project is None:
        project = _create_project(dist.project_name, uploader, events)
    else:
        ensure_can_upload(uploader.user, project)

    existing = find_existing_file(dist.filename, dist.sha256_digest, dist.blake2_256_digest)
    if existing is not None:
        return existing, False

    _check_sizes(project, dist)
    release = _get_or_create_release(project, dist, uploader, events)
    if (
        dist.packagetype == PackageType.SDIST
        and release.files.filter(packagetype=PackageType.SDIST).exists()
    ):
        raise UploadRejected(_("Only one sdist may be uploaded per release."))
    if project.name != dist.project_name:
        # Same normalised name, new spelling: the latest upload's spelling wins, as on PyPI.
        project.name = dist.project_name

    path = storage.distribution_path(dist.blake2_256_digest, dist.filename)
    file = File.objects.create(
        release=release,
        filename=dist.filename,
        packagetype=dist.packagetype,
        python_version=dist.python_version,
        requires_python=dist.requires_python,
        size=dist.size,
        md5_digest=dist.md5_digest,
        sha256_digest=dist.sha256_digest,
        blake2_256_digest=dist.blake2_256_digest,
        path=path,
        metadata_sha256_digest=dist.metadata_sha256_digest,
        metadata_blake2_256_digest=dist.metadata_blake2_256_digest,
        comment_text=dist.comment,
        uploader=uploader.user,
        uploaded_via=uploader.user_agent[:256],
        token=uploader.token,
    )
    FilenameRegistry.objects.create(filename=dist.filename)

    stored.append(path)
    storage.save_distribution(path, dist.local_path)
    if dist.metadata_bytes is not None:
        stored.append(file.metadata_path)
        storage.save_bytes(file.metadata_path, dist.metadata_bytes)

    events.append(
        (
            EventTag.FILE_ADD,
            {
                "project": project,
                "file": file,
                "additional": {
                    "filename": file.filename,
                    "version": release.version,
                    "canonical_version": release.canonical_version,
                    "sha256": file.sha256_digest,
                    "blake2_256": file.blake2_256_digest,
                    "uploaded_via": uploader.user_agent[:256],
                },
            },
        )
    )
    recorded = _record_all(uploader, events)
    project.last_serial = recorded[-1].id
    project.save(update_fields=["name", "last_serial"])
    refresh_project_pages(project)
    tuf_services.project_changed(project)

    transaction.on_commit(lambda: enqueue_after_upload(file.pk))
    return file, True


def enqueue_after_upload(file_id: int) -> None:
    """Hand the post-upload work to the task queue (after commit: never for a rolled-back row)."""
    from cheeseshop.packaging.tasks import verify_stored_file

    verify_stored_file.enqueue(file_id)
