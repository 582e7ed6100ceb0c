"""Keeping the TUF targets in step with what the index serves.

``project_changed`` is called in the transaction that changes a project (upload, yank,
un-yank, file or release deletion), right after its simple pages are re-rendered;
``project_deleted`` after a project is deleted. Both upsert or delete the project's
``TufTarget`` rows, mark the affected bins dirty and, once the transaction commits, enqueue a
publish. Nothing is signed in the web request.
"""

import hashlib

from django.db import transaction

from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.packaging.models import File
from cheeseshop.prepared import PreparedQuery
from cheeseshop.tuf import repository
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget

SIMPLE_PAGE_SUFFIXES = ("json", "html")


def target_path_for_file(storage_path: str) -> str:
    """Distribution files are signed under the path they are served at, below /packages/."""
    return f"packages/{storage_path}"


def target_path_for_page(normalized_name: str, suffix: str) -> str:
    return f"simple/{normalized_name}/vnd.pypi.simple.v1.{suffix}"


def content_hashes(body: bytes) -> dict:
    return {
        "blake2b-256": hashlib.blake2b(body, digest_size=32).hexdigest(),
        "sha256": hashlib.sha256(body).hexdigest(),
    }


def project_targets(project_pk: int) -> dict[str, tuple[int, dict]]:
    """Every target the project contributes: its files and its two simple pages.

    A project without stored pages (quarantined, or gone) contributes nothing: TUF signs
    exactly what the index shows.
    """
    page = (
        SimpleDetailPage.objects.filter(project_id=project_pk)
        .values_list("project__normalized_name", "json", "html")
        .first()
    )
    if page is None:
        return {}
    normalized_name, json_body, html_body = page
    targets = {}
    files = File.objects.filter(release__project_id=project_pk).values_list(
        "path", "size", "blake2_256_digest", "sha256_digest"
    )
    for path, size, blake2_256, sha256 in files:
        targets[target_path_for_file(path)] = (size, {"blake2b-256": blake2_256, "sha256": sha256})
    for suffix, stored in zip(SIMPLE_PAGE_SUFFIXES, (json_body, html_body), strict=True):
        body = bytes(stored)  # PostgreSQL drivers may hand back a memoryview
        targets[target_path_for_page(normalized_name, suffix)] = (len(body), content_hashes(body))
    return targets


def sync_project_targets(project_pk: int, bit_length: int) -> set[int]:
    """Make the project's TufTarget rows match what it serves; returns the changed bins."""
    wanted = project_targets(project_pk)
    existing = {
        path: (pk, length, repository.ordered_hashes(hashes), bin_index)
        for pk, path, length, hashes, bin_index in TufTarget.objects.filter(
            project_pk=project_pk
        ).values_list("pk", "path", "length", "hashes", "bin_index")
    }
    changed_bins: set[int] = set()
    removed = [path for path in existing if path not in wanted]
    if removed:
        TufTarget.objects.filter(pk__in=[existing[path][0] for path in removed]).delete()
        changed_bins.update(existing[path][3] for path in removed)
    for path, (length, hashes) in wanted.items():
        current = existing.get(path)
        if current is not None and (current[1], current[2]) == (length, hashes):
            continue
        index = repository.bin_index_for(path, bit_length)
        # A path moved from another project (a file re-uploaded after a deletion) is taken over.
        TufTarget.objects.update_or_create(
            path=path,
            defaults={
                "bin_index": index,
                "project_pk": project_pk,
                "length": length,
                "hashes": hashes,
            },
        )
        changed_bins.add(index)
    return changed_bins


def mark_bins_dirty(indices: set[int], bit_length: int) -> None:
    names = sorted(repository.bin_name(index, bit_length) for index in indices)
    for start in range(0, len(names), repository.CHUNK):
        repository.lock_rows_in_order(
            TufRole.objects.filter(name__in=names[start : start + repository.CHUNK])
        ).update(dirty=True)


# Read on every upload, TUF on or off: compiled once. Never cached per process, or a
# ``cheeseshop tuf init`` would go unseen until a restart.
_BIT_LENGTH = PreparedQuery(
    lambda: TufRepository.objects.order_by("pk").values_list("bit_length")[:1]
)


def _initialised_bit_length() -> int | None:
    row = _BIT_LENGTH.first()
    return row[0] if row is not None else None


def _after_change(changed_bins: set[int], bit_length: int) -> None:
    if not changed_bins:
        return
    mark_bins_dirty(changed_bins, bit_length)
    from cheeseshop.tuf.tasks import publish_tuf

    transaction.on_commit(publish_tuf.enqueue)


def project_changed(project) -> None:
    """Call in the transaction that changed ``project``, after refresh_project_pages.

    Does nothing until ``cheeseshop tuf init`` has run.
    """
    bit_length = _initialised_bit_length()
    if bit_length is None:
        return
    _after_change(sync_project_targets(project.pk, bit_length), bit_length)


def project_deleted(project_id: int) -> None:
    """Call in the transaction that deleted the project whose primary key was ``project_id``."""
    bit_length = _initialised_bit_length()
    if bit_length is None:
        return
    rows = TufTarget.objects.filter(project_pk=project_id)
    changed_bins = set(rows.values_list("bin_index", flat=True))
    rows.delete()
    _after_change(changed_bins, bit_length)


def sync_all_projects(bit_length: int) -> int:
    """Load every project's targets (used by ``tuf init``); returns the number of targets."""
    project_pks = SimpleDetailPage.objects.values_list("project_id", flat=True)
    for project_pk in project_pks.iterator(chunk_size=2000):
        sync_project_targets(project_pk, bit_length)
    return TufTarget.objects.count()
