"""The TUF repository: building, signing and writing metadata in PEP 458's layout.

root (offline, t of n) → targets (offline) → bins (offline, terminating, all paths) → TAP 15
succinct ``bin-XXXX`` roles (online); snapshot and timestamp online; consistent snapshots.

The database is the truth (``TufTarget``, ``TufRole``); metadata files are derived from it and
written into the metadata directory in publishing order — bins, then snapshot, then
``timestamp.json`` last — each atomically (temporary file + rename), so a crash leaves the
previous consistent set served. Publishers hold a row lock on the ``TufRepository`` singleton
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writing transactions anyway).
"""

import hashlib
import logging
import os
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from django.db import transaction
from django.db.models import F, Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from securesystemslib.signer import Key, Signer

from cheeseshop.tuf import conf, keys
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

logger = logging.getLogger(__name__)

SERIALIZER = JSONSerializer(compact=True)
TOP_LEVEL_ROLES = ("root", "targets", "bins", "snapshot", "timestamp")
OFFLINE_EXPIRY = timedelta(days=conf.ONE_YEAR_DAYS)
ONLINE_EXPIRY = timedelta(hours=conf.ONE_DAY_HOURS)
# Chunk size for "IN (...)" queries: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 900


class TufError(Exception):
    """A repository operation that cannot proceed; the message says which rule failed."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- Names and files ----------------------------------------------------------------------


def bin_index_for(path: str, bit_length: int) -> int:
    """TAP 15 / python-tuf: the first ``bit_length`` bits of sha256(path)."""
    digest = hashlib.sha256(path.encode()).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bit_length)


def bin_name(index: int, bit_length: int) -> str:
    width = len(f"{2**bit_length - 1:x}")
    return f"{conf.BIN_PREFIX}-{index:0{width}x}"


def metadata_filename(role: str, version: int) -> str:
    if role == "timestamp":
        return "timestamp.json"
    return f"{version}.{quote(role, '')}.json"


def ordered_hashes(hashes: dict) -> dict:
    """Hashes in HASH_ALGORITHMS order: ngclient names the download after the first one."""
    return {name: hashes[name] for name in conf.HASH_ALGORITHMS if name in hashes}


def write_atomically(name: str, data: bytes, *, durable: bool = True) -> Path:
    """Write ``name`` in the metadata directory so readers see the old or the new file whole."""
    directory = conf.metadata_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return directory / name


def _write_metadata(md: Metadata, *, durable: bool = True) -> bytes:
    data = md.to_bytes(SERIALIZER)
    write_atomically(metadata_filename(md.signed.type, md.signed.version), data, durable=durable)
    return data


def _write_role(role: str, md: Metadata, *, durable: bool = True) -> bytes:
    """Like _write_metadata, for delegated roles (whose ``type`` is "targets")."""
    data = md.to_bytes(SERIALIZER)
    write_atomically(metadata_filename(role, md.signed.version), data, durable=durable)
    return data


def load_published(role: str) -> Metadata:
    """The currently published metadata of a top-level or delegated role."""
    state = TufRole.objects.get(name=role)
    return Metadata.from_file(str(conf.metadata_dir() / metadata_filename(role, state.version)))


# --- Building metadata --------------------------------------------------------------------


def build_root(
    root_keys: list[Key],
    threshold: int,
    targets_keys: list[Key],
    online_key: Key,
    *,
    version: int = 1,
) -> Metadata[Root]:
    if not 1 <= threshold <= len(root_keys):
        raise TufError(
            _("The root threshold must be between 1 and the number of root keys (%(n)d).")
            % {"n": len(root_keys)}
        )
    root = Root(version=version, expires=utcnow() + OFFLINE_EXPIRY, consistent_snapshot=True)
    for key in root_keys:
        root.add_key(key, "root")
    root.roles["root"].threshold = threshold
    for key in targets_keys:
        root.add_key(key, "targets")
    root.add_key(online_key, "snapshot")
    root.add_key(online_key, "timestamp")
    return Metadata(root)


def build_targets(bins_keys: list[Key], *, version: int = 1) -> Metadata[Targets]:
    """targets delegates every path (all 16 first hex digits of sha256(path)) to bins."""
    bins = DelegatedRole(
        name="bins",
        keyids=[key.keyid for key in bins_keys],
        threshold=1,
        terminating=True,
        path_hash_prefixes=[f"{digit:x}" for digit in range(16)],
    )
    delegations = Delegations(keys={key.keyid: key for key in bins_keys}, roles={"bins": bins})
    return Metadata(
        Targets(version=version, expires=utcnow() + OFFLINE_EXPIRY, delegations=delegations)
    )


def build_bins(online_key: Key, bit_length: int, *, version: int = 1) -> Metadata[Targets]:
    succinct = SuccinctRoles(
        keyids=[online_key.keyid],
        threshold=1,
        bit_length=bit_length,
        name_prefix=conf.BIN_PREFIX,
    )
    delegations = Delegations(keys={online_key.keyid: online_key}, succinct_roles=succinct)
    return Metadata(
        Targets(version=version, expires=utcnow() + OFFLINE_EXPIRY, delegations=delegations)
    )


def build_bin(targets: list[tuple[str, int, dict]], version: int, expires: datetime) -> Metadata:
    files = {
        path: TargetFile(length=length, hashes=ordered_hashes(hashes), path=path)
        for path, length, hashes in targets
    }
    return Metadata(Targets(version=version, expires=expires, targets=files))


def sign_with_available_keys(md: Metadata, signers: list[Signer], keyids: set[str]) -> int:
    """Add a signature from every signer whose key may sign ``md``; returns how many."""
    signed = 0
    for signer in signers:
        if signer.public_key.keyid in keyids:
            md.sign(signer, append=True)
            signed += 1
    return signed


def authorised_keyids(role: str, md: Metadata) -> set[str]:
    """Key ids whose signatures count for a new version of an offline role."""
    if role == "root":
        keyids = set(md.signed.roles["root"].keyids)
        if md.signed.version > 1:
            keyids |= set(load_published("root").signed.roles["root"].keyids)
        return keyids
    if role == "targets":
        return set(load_published("root").signed.roles["targets"].keyids)
    if role == "bins":
        return set(load_published("targets").signed.delegations.roles["bins"].keyids)
    raise TufError(_("“%(role)s” is not an offline role.") % {"role": role})


def threshold_met(role: str, md: Metadata) -> bool:
    """Whether ``md`` carries enough signatures to be published (root: old and new root)."""
    payload = md.signed_bytes
    if role == "root":
        previous = load_published("root").signed if md.signed.version > 1 else None
        return md.signed.get_root_verification_result(previous, payload, md.signatures).verified
    if role == "targets":
        root = load_published("root").signed
        return root.get_verification_result("targets", payload, md.signatures).verified
    bins_delegator = load_published("targets").signed
    return bins_delegator.get_verification_result("bins", payload, md.signatures).verified


# --- The publish lock ---------------------------------------------------------------------


def lock_rows_in_order(roles):
    """Lock bin rows in name order before updating them: writers that lock in one order
    cannot deadlock (PostgreSQL updates rows in scan order otherwise)."""
    pks = list(roles.select_for_update().order_by("name").values_list("pk", flat=True))
    return TufRole.objects.filter(pk__in=pks)


def lock_repository() -> TufRepository | None:
    """Take the publisher lock (call inside ``transaction.atomic``); None when TUF is off."""
    return TufRepository.objects.select_for_update().first()


# --- Publishing ---------------------------------------------------------------------------


@dataclass
class PublishReport:
    bins: int = 0
    snapshot_version: int | None = None
    timestamp_version: int | None = None
    seconds: float = 0.0
    changed_urls: list[str] = field(default_factory=list)


def publish(*, refresh: bool = False, force_snapshot: bool = False) -> PublishReport | None:
    """Publish every dirty bin, then one snapshot and one timestamp; None when TUF is off.

    ``refresh`` also re-signs online roles that expire within the refresh margin, whether or
    not anything changed.
    """
    with transaction.atomic():
        repository = lock_repository()
        if repository is None:
            return None
        report = publish_locked(repository, refresh=refresh, force_snapshot=force_snapshot)
    if report.changed_urls:
        run_purge_hook(report.changed_urls)
    return report


def publish_locked(
    repository: TufRepository,
    *,
    refresh: bool = False,
    force_snapshot: bool = False,
    all_bins: bool = False,
) -> PublishReport:
    started = time.perf_counter()
    moment = utcnow()
    soon = moment + timedelta(seconds=conf.refresh_margin_seconds())
    signer = keys.online_signer(repository.online_key)
    report = PublishReport()

    wanted = Q(dirty=True)
    if refresh:
        wanted |= Q(expires__lte=soon)
    bins = TufRole.objects.filter(name__startswith=f"{conf.BIN_PREFIX}-")
    if not all_bins:
        bins = bins.filter(wanted)
    to_sign = list(bins.order_by("name").values_list("pk", "name", "version"))
    if to_sign:
        report.bins = _publish_bins(repository, to_sign, signer, moment)

    states = {role.name: role for role in TufRole.objects.filter(name__in=TOP_LEVEL_ROLES)}
    snapshot_due = refresh and states["snapshot"].expires <= soon
    if to_sign or force_snapshot or snapshot_due:
        report.snapshot_version = _publish_snapshot(states["snapshot"], signer, moment)
    timestamp_due = refresh and states["timestamp"].expires <= soon
    if report.snapshot_version is not None or timestamp_due:
        report.timestamp_version = _publish_timestamp(states["timestamp"], signer, moment)
        report.changed_urls.append("/tuf/timestamp.json")
        repository.last_published = moment
        repository.save(update_fields=["last_published"])
    report.seconds = time.perf_counter() - started
    if report.timestamp_version is not None:
        logger.info(
            "TUF published %d bins, snapshot %s, timestamp %s in %.3fs",
            report.bins,
            report.snapshot_version,
            report.timestamp_version,
            report.seconds,
        )
    return report


def _targets_by_bin(indices: set[int], total_bins: int) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    rows = TufTarget.objects.order_by("path").values_list("bin_index", "path", "length", "hashes")
    if len(indices) * 4 >= total_bins:
        # Most bins are affected: one pass over the table beats thousands of lookups.
        for index, path, length, hashes in rows.iterator(chunk_size=5000):
            if index in indices:
                grouped[index].append((path, length, hashes))
        return grouped
    ordered = sorted(indices)
    for start in range(0, len(ordered), CHUNK):
        for index, path, length, hashes in rows.filter(
            bin_index__in=ordered[start : start + CHUNK]
        ):
            grouped[index].append((path, length, hashes))
    return grouped


def _publish_bins(
    repository: TufRepository, to_sign: list[tuple[int, str, int]], signer: Signer, moment
) -> int:
    """Sign a new version of each bin from its TufTarget rows and write it."""
    # Claim the bins first: a change committed after this statement marks its bin dirty again
    # and is published next time; one committed before it is in the rows read below.
    pks = [pk for pk, _name, _version in to_sign]
    for start in range(0, len(pks), CHUNK):
        lock_rows_in_order(TufRole.objects.filter(pk__in=pks[start : start + CHUNK])).update(
            dirty=False
        )
    bit_length = repository.bit_length
    indices = {int(name.split("-", 1)[1], 16) for _pk, name, _version in to_sign}
    grouped = _targets_by_bin(indices, 2**bit_length)
    expires = moment + ONLINE_EXPIRY
    durable = len(to_sign) < 64
    for _pk, name, version in to_sign:
        md = build_bin(grouped.get(int(name.split("-", 1)[1], 16), []), version + 1, expires)
        md.sign(signer)
        _write_role(name, md, durable=durable)
    if not durable:
        os.sync()
    for start in range(0, len(pks), CHUNK):
        TufRole.objects.filter(pk__in=pks[start : start + CHUNK]).update(
            version=F("version") + 1, expires=expires
        )
    return len(to_sign)


def _next_version(role: str, current: int) -> int:
    """current + 1, skipping numbers a crashed publisher may already have written."""
    version = current + 1
    while (conf.metadata_dir() / metadata_filename(role, version)).exists():
        version += 1
    return version


def _publish_snapshot(state: TufRole, signer: Signer, moment: datetime) -> int:
    versions = TufRole.objects.exclude(name__in=("root", "snapshot", "timestamp")).values_list(
        "name", "version"
    )
    meta = {f"{quote(name, '')}.json": MetaFile(version=version) for name, version in versions}
    version = _next_version("snapshot", state.version)
    md = Metadata(Snapshot(version=version, expires=moment + ONLINE_EXPIRY, meta=meta))
    md.sign(signer)
    _write_metadata(md)
    state.version, state.expires = version, md.signed.expires
    state.save(update_fields=["version", "expires"])
    return version


def _published_timestamp_version() -> int:
    path = conf.metadata_dir() / "timestamp.json"
    if not path.exists():
        return 0
    return Metadata.from_bytes(path.read_bytes()).signed.version


def _publish_timestamp(state: TufRole, signer: Signer, moment: datetime) -> int:
    snapshot = TufRole.objects.get(name="snapshot")
    snapshot_bytes = (
        conf.metadata_dir() / metadata_filename("snapshot", snapshot.version)
    ).read_bytes()
    snapshot_meta = MetaFile(
        version=snapshot.version,
        length=len(snapshot_bytes),
        hashes={"sha256": hashlib.sha256(snapshot_bytes).hexdigest()},
    )
    # Never go back, even if the database lost a version a crashed publisher wrote.
    version = max(state.version, _published_timestamp_version()) + 1
    md = Metadata(
        Timestamp(version=version, expires=moment + ONLINE_EXPIRY, snapshot_meta=snapshot_meta)
    )
    md.sign(signer)
    _write_metadata(md)
    state.version, state.expires = version, md.signed.expires
    state.save(update_fields=["version", "expires"])
    return version


def run_purge_hook(urls: list[str]) -> None:
    """Tell a CDN which cached URLs changed (CHEESESHOP_TUF_PURGE_HOOK), never failing."""
    path = conf.purge_hook()
    if not path:
        return
    try:
        import_string(path)(urls)
    except Exception:
        logger.exception("TUF purge hook %s failed", path)


# --- Offline roles ------------------------------------------------------------------------


def publish_offline_locked(role: str, md: Metadata) -> None:
    """Write a threshold-signed root/targets/bins and record it (lock held by the caller)."""
    if role == "root":
        _write_metadata(md)
    else:
        _write_role(role, md)
    TufRole.objects.filter(name=role).update(version=md.signed.version, expires=md.signed.expires)
    (conf.pending_dir() / f"{role}.json").unlink(missing_ok=True)


def write_pending(role: str, md: Metadata) -> Path:
    conf.pending_dir().mkdir(parents=True, exist_ok=True)
    path = conf.pending_dir() / f"{role}.json"
    path.write_bytes(md.to_bytes(JSONSerializer(compact=False)))
    return path


def read_pending(role: str) -> Metadata:
    path = conf.pending_dir() / f"{role}.json"
    if not path.exists():
        raise TufError(_("There is no pending %(role)s metadata to sign.") % {"role": role})
    return Metadata.from_file(str(path))


def finish_offline(role: str, md: Metadata, signers: list[Signer]) -> bool:
    """Sign ``md`` with the keys at hand; publish it when the threshold is met, else leave it
    pending for the other key holders (``cheeseshop tuf sign``). Returns True if published."""
    sign_with_available_keys(md, signers, authorised_keyids(role, md))
    with transaction.atomic():
        repository = lock_repository()
        if repository is None:
            raise TufError(_("TUF is not initialised: run “cheeseshop tuf init” first."))
        if not threshold_met(role, md):
            write_pending(role, md)
            return False
        publish_offline_locked(role, md)
        if role != "root":
            publish_locked(repository, force_snapshot=True)
    return True
