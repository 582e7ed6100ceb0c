"""Where distribution files live: content-addressed paths in the ``packages`` storage — a local
directory, an S3-compatible bucket or another Django storage (``CHEESESHOP_FILES_STORAGE``).

Nothing here or in its callers assumes a local path: files are written, read, deleted and linked
through the storage's own API.
"""

import logging
import os
from time import monotonic

from django.conf import settings
from django.core.files import File as DjangoFile
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

logger = logging.getLogger(__name__)


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
    """Delete a stored file; a failure is logged, not raised (a leftover file is harmless, and
    this runs after the rows that pointed to it are gone)."""
    try:
        packages_storage().delete(path)
    except Exception:  # OSError locally; botocore's errors for S3
        logger.warning("could not delete stored file %s", path, exc_info=True)


def download_url(path: str) -> str | None:
    """Where a client may fetch ``path``'s bytes straight from storage (from S3: a presigned
    URL living CHEESESHOP_S3_URL_EXPIRY seconds), or None when the index streams them itself (a
    local directory, or a storage that has no URLs)."""
    storage = packages_storage()
    if isinstance(storage, FileSystemStorage):
        return None
    try:
        return storage.url(path)
    except NotImplementedError:
        return None


# The probe's own object, overwritten and deleted by each probe (one key, so a probe that dies
# between the two leaves one small object, never many).
PROBE_NAME = ".cheeseshop-probe"


def storage_problem() -> str | None:
    """The health probe of file storage: None when files can be written and read back, else one
    line naming the problem."""
    storage = packages_storage()
    if isinstance(storage, FileSystemStorage):
        return _directory_problem(storage.location)
    if settings.CHEESESHOP_FILES_STORAGE == "s3":
        return _recent_bucket_problem(storage)
    try:
        storage.exists(PROBE_NAME)
    except Exception as exc:  # whatever the storage class raises is its answer
        return f"file storage {settings.CHEESESHOP_FILES_STORAGE} does not answer: {exc}"
    return None


def _directory_problem(location: str) -> str | None:
    if not os.path.isdir(location):
        if os.path.exists(location):
            return f"file storage {location} is not a directory (CHEESESHOP_FILES_DIR)"
        # FileSystemStorage creates it on the first upload, if the parent lets it.
        parent = os.path.dirname(location)
        if os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK):
            return None
        return (
            f"file storage {location} does not exist and cannot be created (CHEESESHOP_FILES_DIR)"
        )
    if not os.access(location, os.W_OK | os.X_OK):
        return f"file storage {location} is not writable by this user (CHEESESHOP_FILES_DIR)"
    return None


# A bucket's answer holds for this many seconds: load balancers poll /_/ready every few seconds on
# every node, and each probe of the bucket is three requests (and a client) of its own.
BUCKET_PROBE_TTL = 10.0
_last_bucket_probe: tuple[Storage, float, str | None] | None = None


def _recent_bucket_problem(storage) -> str | None:
    """The bucket's answer of the last BUCKET_PROBE_TTL seconds, for this storage (a storage
    configured anew is probed anew)."""
    global _last_bucket_probe  # noqa: PLW0603 (one cached answer per process)
    now = monotonic()
    last = _last_bucket_probe
    if last is None or last[0] is not storage or now - last[1] >= BUCKET_PROBE_TTL:
        last = _last_bucket_probe = (storage, now, _bucket_problem(storage))
    return last[2]


def _bucket_problem(storage) -> str | None:
    """Write, read back and delete the probe object in the bucket, with short timeouts and no
    retries (a readiness check must answer quickly), and name what failed."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    client = boto3.Session(
        aws_access_key_id=storage.access_key, aws_secret_access_key=storage.secret_key
    ).client(
        "s3",
        region_name=storage.region_name,
        endpoint_url=storage.endpoint_url,
        config=storage.client_config.merge(
            Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1})
        ),
    )
    bucket = storage.bucket_name
    where = client.meta.endpoint_url
    key = f"{storage.location}/{PROBE_NAME}" if storage.location else PROBE_NAME
    try:
        client.put_object(Bucket=bucket, Key=key, Body=b"cheeseshop")
        client.get_object(Bucket=bucket, Key=key)["Body"].read()
        client.delete_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket" or (status == 404 and code in {"404", "NotFound"}):
            return f"bucket {bucket!r} does not exist at {where} (CHEESESHOP_S3_BUCKET)"
        if status == 403 or code in {
            "AccessDenied",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        }:
            key_id = storage.access_key or "from boto3's credential chain"
            return (
                f"access denied to bucket {bucket!r} at {where} for key {key_id}: {code} "
                "(CHEESESHOP_S3_ACCESS_KEY_ID, CHEESESHOP_S3_SECRET_ACCESS_KEY)"
            )
        return f"bucket {bucket!r} at {where}: {code} {error.get('Message', '')}".rstrip()
    except EndpointConnectionError:
        return f"S3 endpoint {where} is unreachable (CHEESESHOP_S3_ENDPOINT_URL)"
    except BotoCoreError as exc:  # no credentials, timeouts, bad endpoint names
        return f"S3 endpoint {where}: {exc}"
    return None
