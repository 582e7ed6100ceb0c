"""Where TUF metadata lives: ``MetadataDocument`` rows, one per file, in the database every node
shares. Nothing else reads or writes them.

Versioned documents (``<version>.<role>.json``) never change once written: writing another body
under the same name is refused (a bug or a tampered import, never a routine event).
``timestamp.json`` and the documents waiting for signatures (``pending/...``) are replaced.
Writes happen in the caller's transaction: a publish that does not commit leaves no document.
"""

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cheeseshop.prepared import PreparedQuery
from cheeseshop.tuf.errors import TufError
from cheeseshop.tuf.models import MetadataDocument

TIMESTAMP = "timestamp.json"
PENDING = "pending/"
# "IN (...)" chunks and insert batches: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 900

# /tuf/timestamp.json reads this on every request: compiled once.
_BODY = PreparedQuery(
    lambda name: MetadataDocument.objects.filter(name=name).values_list("body"), "\0name"
)


class ImmutableDocument(TufError):
    """A versioned document written again with other bytes."""


def is_replaceable(name: str) -> bool:
    return name == TIMESTAMP or name.startswith(PENDING)


def read(name: str) -> bytes | None:
    row = _BODY.first(name)
    return None if row is None else bytes(row[0])


def exists(name: str) -> bool:
    return MetadataDocument.objects.filter(name=name).exists()


def names(prefix: str = "", suffix: str = "") -> list[str]:
    """Every document's name that starts with ``prefix`` and ends with ``suffix``, sorted."""
    documents = MetadataDocument.objects.order_by("name")
    if prefix:
        documents = documents.filter(name__startswith=prefix)
    if suffix:
        documents = documents.filter(name__endswith=suffix)
    return list(documents.values_list("name", flat=True))


def published() -> list[tuple[str, datetime]]:
    """Every document that is not pending, with when it was written."""
    rows = MetadataDocument.objects.exclude(name__startswith=PENDING).order_by("name")
    return list(rows.values_list("name", "created"))


def write(name: str, body: bytes) -> None:
    write_many([(name, body)])


def write_many(documents: Iterable[tuple[str, bytes]]) -> None:
    """Write ``(name, body)`` pairs: new names are inserted in batches, replaceable ones
    replaced, and a versioned name already written with other bytes is refused."""
    documents = dict(documents)
    now = timezone.now()
    with transaction.atomic():
        ordered = sorted(documents)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            existing = dict(
                MetadataDocument.objects.filter(name__in=chunk).values_list("name", "body")
            )
            for name, body in existing.items():
                if is_replaceable(name):
                    MetadataDocument.objects.filter(name=name).update(
                        body=documents[name], created=now
                    )
                elif bytes(body) != documents[name]:
                    raise ImmutableDocument(
                        _("The TUF metadata “%(name)s” is already published with other content.")
                        % {"name": name}
                    )
            MetadataDocument.objects.bulk_create(
                MetadataDocument(name=name, body=documents[name], created=now)
                for name in chunk
                if name not in existing
            )


def delete(name: str) -> None:
    MetadataDocument.objects.filter(name=name).delete()


def delete_many(names_to_delete: list[str]) -> None:
    for start in range(0, len(names_to_delete), CHUNK):
        MetadataDocument.objects.filter(name__in=names_to_delete[start : start + CHUNK]).delete()


def export(directory: Path, names_to_export: Iterable[str]) -> list[Path]:
    """Write documents out as files below ``directory`` (pending ones into ``pending/``)."""
    written = []
    for name in names_to_export:
        body = read(name)
        if body is None:
            continue
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        written.append(path)
    return written


def legacy_directory() -> Path:
    """Where an earlier release wrote metadata files (CHEESESHOP_TUF_METADATA_DIR)."""
    return Path(settings.CHEESESHOP_TUF_METADATA_DIR)


def import_files(directory: Path, versions: dict[str, int], model=MetadataDocument) -> int:
    """Copy a metadata directory of an earlier release (files, ``pending/`` beside them) into
    the store; returns how many documents were added. ``versions`` are the roles' published
    versions: files above them were left by a publisher that crashed, and are skipped. Used by
    the migration that moved metadata into the database (with its historical ``model``) and by
    ``cheeseshop tuf import``."""
    if not directory.is_dir():
        return 0
    now = timezone.now()
    found: dict[str, bytes] = {}
    for path in directory.iterdir():
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.name == TIMESTAMP or _published_version(path.name, versions):
            found[path.name] = path.read_bytes()
    pending = directory / "pending"
    if pending.is_dir():
        for path in pending.iterdir():
            if path.suffix == ".json" and not path.name.startswith(".") and path.is_file():
                found[f"{PENDING}{path.name}"] = path.read_bytes()
    present = set()
    ordered = sorted(found)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        present.update(model.objects.filter(name__in=chunk).values_list("name", flat=True))
    model.objects.bulk_create(
        (
            model(name=name, body=found[name], created=now)
            for name in ordered
            if name not in present
        ),
        batch_size=CHUNK,
    )
    return len(found) - len(present)


def _published_version(filename: str, versions: dict[str, int]) -> bool:
    """Whether ``<version>.<role>.json`` is a version of a role the database has published."""
    number, _dot, rest = filename.partition(".")
    role = unquote(rest.removesuffix(".json"))
    if not (number.isdigit() and rest.endswith(".json") and role in versions):
        return False
    return 1 <= int(number) <= versions[role]
