"""Where distribution files live: content-addressed paths in the ``packages`` storage."""

import contextlib

from django.core.files import File as DjangoFile
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def packages_storage() -> Storage:
    return storages["packages"]


def distribution_path(blake2_256: str, filename: str) -> str:
    """``<b2[:2]>/<b2[2:4]>/<b2[4:]>/<filename>``: equal bytes, equal path; never overwritten."""
    return f"{blake2_256[:2]}/{blake2_256[2:4]}/{blake2_256[4:]}/{filename}"


def _save(path: str, content) -> None:
    storage = packages_storage()
    if storage.exists(path):
        # Left over by an upload whose transaction failed after storing: same path, same bytes.
        storage.delete(path)
    saved = storage.save(path, content)
    if saved != path:  # pragma: no cover - a storage that renames would break content addressing
        storage.delete(saved)
        raise RuntimeError(f"storage saved {path!r} as {saved!r}")


def save_distribution(path: str, local_path: str) -> None:
    with open(local_path, "rb") as f:
        _save(path, DjangoFile(f))


def save_bytes(path: str, data: bytes) -> None:
    _save(path, ContentFile(data))


def delete_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        packages_storage().delete(path)
