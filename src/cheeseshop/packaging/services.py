"""The packaging service: how an accepted distribution becomes project, release and file.

Everything here runs in one database transaction with the audit events it records; the stored
objects are written inside it and removed again if it does not commit, so a failed upload leaves
no row and no object behind.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import Credential, client_ip, hash_ip, record_events
from cheeseshop.flags.services import ensure_project_creation_allowed
from cheeseshop.locks import lock_for_transaction
from cheeseshop.packaging import publishing, storage
from cheeseshop.packaging.errors import TooManyNewProjects, UploadNotPermitted, UploadRejected
from cheeseshop.packaging.models import (
    File,
    FilenameRegistry,
    PackageType,
    Project,
    ProjectStatus,
    Release,
    Role,
    RoleName,
)
from cheeseshop.packaging.names import check_new_project_name, normalize_name, ultranormalize_name
from cheeseshop.packaging.tasks import verify_stored_file
from cheeseshop.prepared import PreparedQuery, instance, model_columns


@dataclass(frozen=True)
class Distribution:
    """One uploaded file, received and validated, ready to be added to the index.

    The fields of ``File`` it fills have the names of its columns (``FILE_COLUMNS``).
    """

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
    comment_text: str = ""
    # Core metadata served beside a wheel (PEP 658).
    metadata_bytes: bytes | None = None

    @property
    def metadata_sha256_digest(self) -> str:
        return hashlib.sha256(self.metadata_bytes).hexdigest() if self.metadata_bytes else ""

    @property
    def metadata_blake2_256_digest(self) -> str:
        if not self.metadata_bytes:
            return ""
        return hashlib.blake2b(self.metadata_bytes, digest_size=32).hexdigest()


# What a distribution tells of its File row (the uploader, the release and the path come from
# the upload).
FILE_COLUMNS = (
    "filename",
    "packagetype",
    "python_version",
    "requires_python",
    "size",
    "md5_digest",
    "sha256_digest",
    "blake2_256_digest",
    "metadata_sha256_digest",
    "metadata_blake2_256_digest",
    "comment_text",
)


@dataclass(frozen=True)
class Uploader:
    """Who uploads, with which credential, from which request (for the audit trail)."""

    user: Any
    credential: Credential
    token: Any = None
    request: Any = None
    user_agent: str = ""


# The small reads every upload makes, compiled once (see ``cheeseshop.prepared``). Placeholders are
# negative ids and NUL-prefixed text: values no query of theirs contains otherwise.
_ROLE = PreparedQuery(
    lambda user_id, project_id: Role.objects.filter(
        user_id=user_id, project_id=project_id
    ).values_list("pk")[:1],
    -1,
    -2,
)
_FILE_COLLISIONS = PreparedQuery(
    lambda filename, blake2_256: (
        File.objects.filter(Q(filename=filename) | Q(blake2_256_digest=blake2_256))
        .order_by()
        .values_list(*model_columns(File))
    ),
    "\0filename",
    "\0blake2_256",
)
_FILENAME_USED = PreparedQuery(
    lambda filename: FilenameRegistry.objects.filter(filename=filename).values_list("pk")[:1],
    "\0filename",
)
_SIZE_USED = PreparedQuery(
    lambda project_id: (
        File.objects.filter(release__project_id=project_id)
        .order_by()
        .values("release__project_id")
        .annotate(total=Sum("size"))
        .values_list("total")
    ),
    -1,
)
_RELEASE = PreparedQuery(
    lambda project_id, canonical_version: Release.objects.filter(
        project_id=project_id, canonical_version=canonical_version
    ).values_list("pk", "version", "canonical_version")[:1],
    -1,
    "\0canonical_version",
)
_RELEASE_SDIST = PreparedQuery(
    lambda release_id: (
        File.objects.filter(release_id=release_id, packagetype=PackageType.SDIST)
        .order_by()
        .values_list("pk")[:1]
    ),
    -1,
)
_PROJECT = PreparedQuery(
    lambda normalized_name: (
        Project.objects.filter(normalized_name=normalized_name)
        .order_by()
        .values_list(*model_columns(Project))[:1]
    ),
    "\0normalized_name",
)
_LOCKED_PROJECT = PreparedQuery(
    lambda normalized_name: (
        Project.objects.select_for_update()
        .filter(normalized_name=normalized_name)
        .order_by()
        .values_list(*model_columns(Project))[:1]
    ),
    "\0normalized_name",
)
_LARGEST_UPLOAD_LIMIT = PreparedQuery(
    lambda: (
        Project.objects.filter(upload_limit__isnull=False)
        .order_by("-upload_limit")
        .values_list("upload_limit")[:1]
    )
)


def find_project(name: str, *, lock: bool = False) -> Project | None:
    """The project ``name`` normalises to; ``lock``: locked until the transaction ends."""
    row = (_LOCKED_PROJECT if lock else _PROJECT).first(normalize_name(name))
    return instance(Project, row) if row is not None else None


def ensure_can_upload(user, project: Project) -> None:
    """Owners and Maintainers may upload to a project, unless it is quarantined; nobody else."""
    if _ROLE.first(user.pk, project.pk) is None:
        raise UploadNotPermitted(
            _("The user '%(user)s' isn't allowed to upload to project '%(project)s'.")
            % {"user": user.username, "project": project.name}
        )
    if project.status == ProjectStatus.QUARANTINED:
        raise UploadNotPermitted(
            _(
                "Project '%(project)s' is quarantined while the index's administrators review "
                "it: it cannot be changed or uploaded to until they lift the quarantine."
            )
            % {"project": project.name}
        )


def find_existing_file(filename: str, sha256: str, blake2_256: str) -> File | None:
    """The file this upload repeats exactly, if any; any other collision is refused.

    An exact repeat (same name, same bytes) is not an error, so that ``twine upload
    --skip-existing`` and retried uploads work.
    """
    # At most two rows can collide: one by name, one by content.
    collisions = [instance(File, row) for row in _FILE_COLLISIONS.rows(filename, blake2_256)]
    existing = next((f for f in collisions if f.filename == filename), None) or next(
        iter(collisions), None
    )
    if existing is None:
        if _FILENAME_USED.first(filename) is not None:
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
    The count is taken under a lock on the user and on the address, held until this upload
    commits its own ``project:create`` event: concurrent creations by one user or from one
    address wait for each other, and each counts those before it.

    The limits stop spam from accounts that signed up on their own; staff and trusted
    uploaders (the index's own CI, its teams) are not held to them.
    """
    if uploader.user.is_staff or uploader.user.is_trusted_uploader:
        return
    checks = [
        (
            f"user:{uploader.user.pk}",
            settings.CHEESESHOP_PROJECT_CREATE_USER_LIMIT,
            Q(actor_id=uploader.user.pk),
        )
    ]
    if uploader.request is not None:
        ip_hash = hash_ip(client_ip(uploader.request))
        checks.append(
            (f"ip:{ip_hash}", settings.CHEESESHOP_PROJECT_CREATE_IP_LIMIT, Q(ip_hash=ip_hash))
        )
    lock_for_transaction(*(f"cheeseshop.project-create:{subject}" for subject, *_ in checks))
    now = timezone.now()
    windows = [(*_parse_rate(rate), condition) for _subject, rate, condition in checks]
    # Every window counted in one query, over the events of the longest one.
    longest = max(window for _limit, window, _condition in windows)
    counts = Event.objects.filter(tag=EventTag.PROJECT_CREATE, time__gte=now - longest).aggregate(
        **{
            f"window{index}": Count("pk", filter=condition & Q(time__gte=now - window))
            for index, (_limit, window, condition) in enumerate(windows)
        }
    )
    for index, (limit, _window, _condition) in enumerate(windows):
        if counts[f"window{index}"] >= limit:
            raise TooManyNewProjects(
                _(
                    "Too many new projects created. Staff and trusted uploaders are not "
                    "limited: ask the index's administrators to make your account a trusted "
                    "uploader."
                )
            )


# (tag, record_event keyword arguments): events are recorded at the end of the transaction, so
# the audit chain's lock (held until commit) is not held while the file is being stored.
PendingEvents = list[tuple[EventTag, dict[str, Any]]]


def _create_project(name: str, uploader: Uploader, events: PendingEvents) -> Project:
    ensure_project_creation_allowed()
    # The caller found no project by this name under the project-row lock.
    check_new_project_name(name, absent=True)
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
    found = _SIZE_USED.first(project.pk)
    # int(): PostgreSQL sums a bigint column as numeric.
    used = int(found[0]) if found is not None else 0
    if used + dist.size > project_limit:
        raise UploadRejected(
            _(
                "Project size too large. Limit for project '%(project)s' total size is "
                "%(limit)d GB."
            )
            % {"project": project.name, "limit": project_limit // (1024**3)}
        )


@dataclass(frozen=True)
class _ReleaseRow:
    """What the upload needs of its release: its id and version, and whether it is new."""

    pk: int
    version: str
    canonical_version: str
    created: bool


def _get_or_create_release(
    project: Project, dist: Distribution, uploader: Uploader, events: PendingEvents
) -> _ReleaseRow:
    fields = dist.release_fields
    found = _RELEASE.first(project.pk, fields["canonical_version"])
    if found is not None:
        return _ReleaseRow(*found, created=False)
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
    return _ReleaseRow(release.pk, release.version, release.canonical_version, created=True)


def max_upload_size() -> int:
    """The largest file any project may receive: the bound applied while streaming."""
    largest = _LARGEST_UPLOAD_LIMIT.first()
    return max(settings.CHEESESHOP_MAX_FILE_SIZE, largest[0] if largest is not None else 0)


def add_distribution(
    dist: Distribution, uploader: Uploader, *, also: Callable[[], None] | None = None
) -> tuple[File, bool]:
    """Add a validated distribution; returns the file and whether it was new.

    ``also``: the caller's own writes (the upload records its token's use), made in the
    upload's transaction: one commit, and none of them if the upload fails.

    The caller has answered an upload that repeats or collides with a stored file already
    (``find_existing_file``, before the file is inspected), so the first attempt does not look
    again: a file that appeared since, like a project or release created concurrently, makes
    the insert fail on a unique constraint. The transaction is then retried once, and the retry
    looks at everything again, so it answers exactly as if it had been first.
    """
    try:
        return _add_distribution(dist, uploader, also, recheck=False)
    except IntegrityError:
        return _add_distribution(dist, uploader, also, recheck=True)


def _add_distribution(
    dist: Distribution, uploader: Uploader, also: Callable[[], None] | None, *, recheck: bool
) -> tuple[File, bool]:
    stored: list[str] = []
    try:
        with transaction.atomic():
            result = _add_rows_and_store(dist, uploader, stored, recheck=recheck)
            if also is not None:
                also()
    except BaseException:
        for path in stored:
            storage.delete_quietly(path)
        raise
    return result


def _add_rows_and_store(
    dist: Distribution, uploader: Uploader, stored: list[str], *, recheck: bool
) -> tuple[File, bool]:
    # Lock the project row: uploads to one project are serialised (release creation, the
    # one-sdist rule and size totals stay exact), uploads to different projects are not.
    project = find_project(dist.project_name, lock=True)
    events: PendingEvents = []
    if project is None:
        project = _create_project(dist.project_name, uploader, events)
    else:
        ensure_can_upload(uploader.user, project)

    if recheck:
        existing = find_existing_file(dist.filename, dist.sha256_digest, dist.blake2_256_digest)
        if existing is not None:
            return existing, False

    _check_sizes(project, dist)
    release = _get_or_create_release(project, dist, uploader, events)
    if (
        dist.packagetype == PackageType.SDIST
        and not release.created
        and _RELEASE_SDIST.first(release.pk) is not None
    ):
        raise UploadRejected(_("Only one sdist may be uploaded per release."))
    if project.name != dist.project_name:
        # Same normalised name, new spelling: the latest upload's spelling wins, as on PyPI.
        project.name = dist.project_name

    path = storage.distribution_path(dist.blake2_256_digest, dist.filename)
    file = File.objects.create(
        **{column: getattr(dist, column) for column in FILE_COLUMNS},
        release_id=release.pk,
        path=path,
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
    # The instance is the locked row as just saved, its name respelt: published as it is.
    publishing.publish(project, recorded[-1])
    publishing.after_commit(verify_stored_file, file.pk)
    return file, True
