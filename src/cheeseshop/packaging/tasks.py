"""Background work after an upload commits.

Upload enqueues these after the transaction commits; later features (TUF publishing, malware
checks, CDN purges) hang their own work on the same seam.
"""

import hashlib
import logging

from django_tasks import task

from cheeseshop.packaging.models import File
from cheeseshop.packaging.storage import packages_storage

logger = logging.getLogger(__name__)


class StoredFileMismatch(Exception):
    pass


@task()
def verify_stored_file(file_id: int) -> str | None:
    """Read the stored object back and check it against the digest recorded for it.

    Catches storage backends that lose or corrupt writes (an eventually consistent or faulty
    object store) while the uploader's twine output is still fresh. It only reads, so a retry
    is harmless; a file deleted since its upload has nothing left to verify (None), which no
    retry would change.
    """
    file = File.objects.filter(pk=file_id).first()
    if file is None:
        return None
    blake2 = hashlib.blake2b(digest_size=32)
    with packages_storage().open(file.path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            blake2.update(chunk)
    if blake2.hexdigest() != file.blake2_256_digest:
        logger.error("stored file %s does not match its recorded digest", file.path)
        raise StoredFileMismatch(file.path)
    return file.blake2_256_digest
