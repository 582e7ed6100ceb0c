"""Keeping the TUF targets in step with what the index serves.

``project_published`` subscribes to packaging's publisher (``TufConfig.ready``): in the
transaction of every change to what the index shows of a project, it receives the pages the
index just rendered and makes the project's ``TufTarget`` rows match them and the project's
files, marks the affected bins dirty and, once the transaction commits, a publish runs. Nothing
is signed in the web request, and no page is read back from the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cheeseshop.index.services import stored_pages
from cheeseshop.packaging import publishing
from cheeseshop.packaging.models import File
from cheeseshop.packaging.publishing import ProjectPages, Publication
from cheeseshop.prepared import PreparedQuery
from cheeseshop.tuf import repository
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget


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


def project_targets(project_pk: int, pages: ProjectPages | None) -> dict[str, Target]:
    """Every target the project contributes: its files and its two simple pages.

    A project without pages (hidden, or gone) contributes nothing: TUF signs exactly what the
    index shows.
    """
    if pages is None:
        return {}
    targets = {}
    files = File.objects.filter(release__project_id=project_pk).values_list(
        "path", "size", "blake2_256_digest", "sha256_digest"
    )
    for path, size, blake2_256, sha256 in files:
        targets[target_path_for_file(path)] = Target(
            size, {"blake2b-256": blake2_256, "sha256": sha256}
        )
    for suffix, body in (("json", pages.json), ("html", pages.html)):
        targets[target_path_for_page(pages.normalized_name, suffix)] = Target(
            len(body), content_hashes(body)
        )
    return targets


@dataclass(frozen=True)
class Target:
    """A target as the project serves it: its length and hashes."""

    length: int
    hashes: dict[str, str]


@dataclass(frozen=True)
class SignedTarget:
    """A target as its ``TufTarget`` row holds it."""

    pk: int
    target: Target
    bin_index: int


def _signed_targets(project_pk: int) -> dict[str, SignedTarget]:
    rows = TufTarget.objects.filter(project_pk=project_pk).values_list(
        "pk", "path", "length", "hashes", "bin_index"
    )
    return {
        path: SignedTarget(pk, Target(length, repository.ordered_hashes(hashes)), bin_index)
        for pk, path, length, hashes, bin_index in rows
    }


def sync_project_targets(project_pk: int, pages: ProjectPages | None, bit_length: int) -> set[int]:
    """Make the project's TufTarget rows match what it serves; returns the changed bins."""
    wanted = project_targets(project_pk, pages)
    signed = _signed_targets(project_pk)
    changed_bins: set[int] = set()
    removed = [row for path, row in signed.items() if path not in wanted]
    if removed:
        TufTarget.objects.filter(pk__in=[row.pk for row in removed]).delete()
        changed_bins.update(row.bin_index for row in removed)
    for path, target in wanted.items():
        current = signed.get(path)
        if current is not None and current.target == target:
            continue
        index = repository.bin_index_for(path, bit_length)
        # A path moved from another project (a file re-uploaded after a deletion) is taken over.
        TufTarget.objects.update_or_create(
            path=path,
            defaults={
                "bin_index": index,
                "project_pk": project_pk,
                "length": target.length,
                "hashes": target.hashes,
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


def project_published(publication: Publication) -> None:
    """The publisher's subscriber: in the changing transaction, bring the project's targets in
    step with the pages the index just rendered (none: every target of the project goes).

    Does nothing until ``cheeseshop tuf init`` has run.
    """
    bit_length = _initialised_bit_length()
    if bit_length is None:
        return
    changed_bins = sync_project_targets(publication.project_id, publication.pages, bit_length)
    if changed_bins:
        mark_bins_dirty(changed_bins, bit_length)
        from cheeseshop.tuf.tasks import publish_tuf

        publishing.after_commit(publish_tuf)


def sync_all_projects(bit_length: int) -> int:
    """Load every project's targets (used by ``tuf init``); returns the number of targets."""
    for project_pk, pages in stored_pages():
        sync_project_targets(project_pk, pages, bit_length)
    return TufTarget.objects.count()


def last_published():
    """When the repository's metadata was last published; None when TUF is off or nothing was
    published yet (the metrics report its age)."""
    return TufRepository.objects.values_list("last_published", flat=True).first()
