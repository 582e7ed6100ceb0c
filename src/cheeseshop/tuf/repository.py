"""The TUF repository: building, signing and writing metadata in PEP 458's layout.

root (offline, t of n) → targets (offline) → bins (offline, terminating, all paths) → TAP 15
succinct ``bin-XXXX`` roles (online); snapshot and timestamp online; consistent snapshots.

The database is the truth (``TufTarget``, ``TufRole``); metadata files are derived from it and
kept in it too (``cheeseshop.tuf.store``), written in the transaction that records their
versions: bins, snapshot and ``timestamp.json`` commit together or not at all, so every node
serves the previous consistent set until the next one is whole. Publishers hold a row lock on
the ``TufRepository`` singleton (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises
writing transactions anyway).
"""

import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from securesystemslib.signer import Key, Signer

from cheeseshop.tuf import conf, keys, offline, serialization, store
from cheeseshop.tuf.errors import TufError
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget
from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import (
    SPECIFICATION_VERSION,
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    RootVerificationResult,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
    VerificationResult,
)

logger = logging.getLogger(__name__)

# Metadata files: python-tuf's compact JSON, except ``signed`` is written in its canonical form.
SERIALIZER = serialization.FILE_SERIALIZER
TOP_LEVEL_ROLES = ("root", "targets", "bins", "snapshot", "timestamp")
OFFLINE_EXPIRY = timedelta(days=conf.ONE_YEAR_DAYS)
ONLINE_EXPIRY = timedelta(hours=conf.ONE_DAY_HOURS)
# What python-tuf writes in every role's "spec_version" and "expires".
SPEC_VERSION = ".".join(SPECIFICATION_VERSION)
EXPIRES_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# While initialisation waits for signatures, this pending document records it.
PENDING_INIT = f"{store.PENDING}init.json"
# Bins re-signed per transaction by the periodic refresh (see _refresh_expiring_bins).
REFRESH_CHUNK = 1024
# Chunk size for "IN (...)" queries: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 900


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


def write_role(role: str, md: Metadata) -> bytes:
    """Store ``md`` under its versioned name (delegated roles' ``type`` is "targets": the
    name comes from ``role``)."""
    data = md.to_bytes(SERIALIZER)
    store.write(metadata_filename(role, md.signed.version), data)
    return data


def read_metadata(name: str) -> Metadata:
    body = store.read(name)
    if body is None:
        raise TufError(
            _(
                "The TUF metadata “%(name)s” is not in the database: import the metadata "
                "directory of the earlier release with “cheeseshop tuf import DIR”."
            )
            % {"name": name}
        )
    return Metadata.from_bytes(body)


def load_published(role: str) -> Metadata:
    """The currently published metadata of a top-level or delegated role."""
    state = TufRole.objects.get(name=role)
    return read_metadata(metadata_filename(role, state.version))


# --- Building metadata --------------------------------------------------------------------


def build_root(
    root_keys: list[Key],
    threshold: int,
    targets_keys: list[Key],
    online_key: Key,
    *,
    targets_threshold: int = 1,
    version: int = 1,
) -> Metadata[Root]:
    check_threshold("root", threshold, len(root_keys))
    check_threshold("targets", targets_threshold, len(targets_keys))
    root = Root(version=version, expires=utcnow() + OFFLINE_EXPIRY, consistent_snapshot=True)
    for key in root_keys:
        root.add_key(key, "root")
    root.roles["root"].threshold = threshold
    for key in targets_keys:
        root.add_key(key, "targets")
    root.roles["targets"].threshold = targets_threshold
    root.add_key(online_key, "snapshot")
    root.add_key(online_key, "timestamp")
    return Metadata(root)


def check_threshold(role: str, threshold: int, key_count: int) -> None:
    if not 1 <= threshold <= key_count:
        raise TufError(
            _("The %(role)s threshold must be between 1 and the number of %(role)s keys (%(n)d).")
            % {"role": role, "n": key_count}
        )


def build_targets(
    bins_keys: list[Key], *, threshold: int = 1, version: int = 1
) -> Metadata[Targets]:
    """targets delegates every path (all 16 first hex digits of sha256(path)) to bins."""
    check_threshold("bins", threshold, len(bins_keys))
    bins = DelegatedRole(
        name="bins",
        keyids=[key.keyid for key in bins_keys],
        threshold=threshold,
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


@dataclass(frozen=True)
class BinTarget:
    """A target as a bin lists it."""

    path: str
    length: int
    hashes: dict


def build_bin(targets: list[BinTarget], version: int, expires: datetime) -> Metadata:
    files = {
        target.path: TargetFile(
            length=target.length, hashes=ordered_hashes(target.hashes), path=target.path
        )
        for target in targets
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


def initialisation_pending() -> bool:
    """Whether ``tuf init`` wrote root, targets and bins that still lack signatures."""
    return store.exists(PENDING_INIT)


def _delegating(role: str) -> Metadata:
    """The version of ``role`` whose keys decide who signs what it delegates: the pending one
    while initialisation waits for signatures, else the published one."""
    if initialisation_pending():
        return read_pending(role)
    return load_published(role)


def verification(role: str, md: Metadata) -> VerificationResult | RootVerificationResult:
    """Who has signed ``md`` and who may still sign it, against the keys that delegate it
    (root: its previous version's keys and its own)."""
    payload = md.signed_bytes
    if role == "root":
        previous = _delegating("root").signed if md.signed.version > 1 else None
        return md.signed.get_root_verification_result(previous, payload, md.signatures)
    if role == "targets":
        return _delegating("root").signed.get_verification_result(role, payload, md.signatures)
    if role == "bins":
        return _delegating("targets").signed.get_verification_result(role, payload, md.signatures)
    raise TufError(_("“%(role)s” is not an offline role.") % {"role": role})


def verification_results(role: str, md: Metadata) -> list[VerificationResult]:
    """One result per key set that must sign ``md``: two for a new root (old and new keys)."""
    result = verification(role, md)
    if isinstance(result, RootVerificationResult):
        if result.first == result.second:  # root v1 is checked against itself
            return [result.first]
        return [result.first, result.second]
    return [result]


def authorised_keyids(role: str, md: Metadata) -> set[str]:
    """Key ids whose signatures count for a new version of an offline role."""
    return {
        keyid
        for result in verification_results(role, md)
        for keyid in (*result.signed, *result.unsigned)
    }


def threshold_met(role: str, md: Metadata) -> bool:
    """Whether ``md`` carries enough signatures to be published (root: old and new root)."""
    return verification(role, md).verified


def signature_progress(role: str, md: Metadata) -> str:
    """“1 of 2 signatures” (root rotations: for the old keys and for the new keys)."""
    results = verification_results(role, md)
    counts = [
        _("%(signed)d of %(threshold)d signatures")
        % {"signed": min(len(result.signed), result.threshold), "threshold": result.threshold}
        for result in results
    ]
    if len(counts) == 2:
        return _("%(old)s from the current root keys, %(new)s from the new root keys") % {
            "old": counts[0],
            "new": counts[1],
        }
    return counts[0]


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
    not anything changed. A publish the online key cannot sign logs an ERROR naming the key's
    URI scheme and the reason, and raises OnlineKeyError: the worker's task fails.
    """
    try:
        return _publish(refresh=refresh, force_snapshot=force_snapshot)
    except UnsignedMetadataError as exc:  # the signer loaded, then failed (a KMS outage...)
        failure = keys.OnlineKeyError(keys.failure_reason(exc.__cause__ or exc))
        logger.error("TUF publish failed: %s", failure)
        raise failure from exc
    except keys.OnlineKeyError as exc:
        logger.error("TUF publish failed: %s", exc)
        raise


def _publish(*, refresh: bool, force_snapshot: bool) -> PublishReport | None:
    refreshed = _refresh_expiring_bins() if refresh else 0
    with transaction.atomic():
        repository = lock_repository()
        if repository is None:
            return None
        report = publish_locked(
            repository, refresh=refresh, force_snapshot=force_snapshot or refreshed > 0
        )
    report.bins += refreshed
    if report.changed_urls:
        run_purge_hook(report.changed_urls)
    return report


def _refresh_expiring_bins() -> int:
    """Re-sign bins near expiry, REFRESH_CHUNK per transaction; returns how many.

    All bins are signed together at init, so they expire together: re-signing 16,384 of them
    in one transaction would hold the bins' locks (SQLite: the database's write lock) for
    seconds and make uploads wait. Bins written here are not served until the snapshot that
    the caller publishes next names them.
    """
    refreshed = 0
    soon = utcnow() + timedelta(seconds=settings.CHEESESHOP_TUF_REFRESH_MARGIN)
    # One pass in name order: a bin this refresh signed is never due again in it, whatever
    # the margin.
    after = ""
    while True:
        with transaction.atomic():
            repository = lock_repository()
            if repository is None:
                return refreshed
            moment = utcnow()
            due = TufRole.objects.filter(
                name__startswith=f"{conf.BIN_PREFIX}-",
                expires__lte=soon,
                name__gt=after,
            )
            chunk = _bin_states(due.order_by("name")[:REFRESH_CHUNK])
            if not chunk:
                return refreshed
            after = chunk[-1].name
            signer = keys.online_signer(repository.online_key)
            refreshed += _publish_bins(repository, chunk, signer, moment)


def publish_locked(
    repository: TufRepository,
    *,
    refresh: bool = False,
    force_snapshot: bool = False,
    all_bins: bool = False,
) -> PublishReport:
    started = time.perf_counter()
    moment = utcnow()
    soon = moment + timedelta(seconds=settings.CHEESESHOP_TUF_REFRESH_MARGIN)
    signer = keys.online_signer(repository.online_key)
    report = PublishReport()

    bins = TufRole.objects.filter(name__startswith=f"{conf.BIN_PREFIX}-")
    if not all_bins:
        # Bins near expiry were re-signed before the call (``_refresh_expiring_bins``).
        bins = bins.filter(dirty=True)
    to_sign = _bin_states(bins.order_by("name"))
    if to_sign:
        report.bins = _publish_bins(repository, to_sign, signer, moment, all_bins=all_bins)

    states = {role.name: role for role in TufRole.objects.filter(name__in=TOP_LEVEL_ROLES)}
    snapshot_due = refresh and states["snapshot"].expires <= soon
    snapshot_bytes = None
    if to_sign or force_snapshot or snapshot_due:
        snapshot = _publish_snapshot(states["snapshot"], signer, moment)
        report.snapshot_version, snapshot_bytes = snapshot.version, snapshot.data
    timestamp_due = refresh and states["timestamp"].expires <= soon
    if report.snapshot_version is not None or timestamp_due:
        report.timestamp_version = _publish_timestamp(
            states["timestamp"], signer, moment, snapshot_bytes
        )
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


@dataclass(frozen=True)
class BinState:
    """A bin role's row, as publishing reads it."""

    pk: int
    name: str
    version: int

    @property
    def index(self) -> int:
        return int(self.name.split("-", 1)[1], 16)


def _bin_states(rows) -> list[BinState]:
    return [BinState(*row) for row in rows.values_list("pk", "name", "version")]


def _targets_by_bin(indices: set[int], total_bins: int) -> dict[int, list[BinTarget]]:
    grouped: dict[int, list[BinTarget]] = defaultdict(list)
    rows = TufTarget.objects.order_by("path").values_list("bin_index", "path", "length", "hashes")
    if len(indices) * 4 >= total_bins:
        # Most bins are affected: one pass over the table beats thousands of lookups.
        for index, path, length, hashes in rows.iterator(chunk_size=5000):
            if index in indices:
                grouped[index].append(BinTarget(path, length, hashes))
        return grouped
    ordered = sorted(indices)
    for start in range(0, len(ordered), CHUNK):
        for index, path, length, hashes in rows.filter(
            bin_index__in=ordered[start : start + CHUNK]
        ):
            grouped[index].append(BinTarget(path, length, hashes))
    return grouped


def _publish_bins(
    repository: TufRepository,
    to_sign: list[BinState],
    signer: Signer,
    moment,
    *,
    all_bins: bool = False,
) -> int:
    """Sign a new version of each bin from its TufTarget rows and store it."""
    # Claim the bins first: a change committed after this statement marks its bin dirty again
    # and is published next time; one committed before it is in the rows read below.
    bins = TufRole.objects.filter(name__startswith=f"{conf.BIN_PREFIX}-")
    pks = [state.pk for state in to_sign]
    if all_bins:
        # No list of 2**bit_length ids: it could exceed the database's parameter limit.
        list(bins.select_for_update().order_by("name").values_list("pk", flat=True))
        bins.update(dirty=False)
    else:
        for start in range(0, len(pks), CHUNK):
            lock_rows_in_order(TufRole.objects.filter(pk__in=pks[start : start + CHUNK])).update(
                dirty=False
            )
    bit_length = repository.bit_length
    indices = {state.index for state in to_sign}
    grouped = _targets_by_bin(indices, 2**bit_length)
    expires = moment + ONLINE_EXPIRY
    # Bins without targets and of one version have identical signed bytes: one signature
    # serves them all (init, key rotation and the daily refresh re-sign thousands of them).
    empty: dict[int, bytes] = {}
    documents = []
    for state in to_sign:
        version = state.version + 1
        targets = grouped.get(state.index)
        if targets:
            data = serialization.sign_to_bytes(build_bin(targets, version, expires), signer)
        elif version in empty:
            data = empty[version]
        else:
            data = serialization.sign_to_bytes(build_bin([], version, expires), signer)
            empty[version] = data
        documents.append((metadata_filename(state.name, version), data))
    store.write_many(documents)
    if all_bins:
        bins.update(version=F("version") + 1, expires=expires)
    else:
        for start in range(0, len(pks), CHUNK):
            TufRole.objects.filter(pk__in=pks[start : start + CHUNK]).update(
                version=F("version") + 1, expires=expires
            )
    return len(to_sign)


def _meta_name(role: str) -> str:
    return f"{quote(role, '')}.json"


def _snapshot_meta(versions: list[tuple[str, int]]) -> dict:
    """Snapshot's "meta": ``{"<role>.json": {"version": n}}``, role names URL-quoted."""
    names = "".join(name for name, _number in versions)
    if names.isascii() and names.replace("-", "").isalnum():
        # Letters, digits and "-" (every bin name): quote() would return them unchanged.
        meta = {f"{name}.json": {"version": number} for name, number in versions}
    else:
        meta = {_meta_name(name): {"version": number} for name, number in versions}
    if not all(type(entry["version"]) is int for entry in meta.values()):
        raise TufError(_("A role version in the database is not an integer."))
    return meta


@dataclass(frozen=True)
class PublishedSnapshot:
    version: int
    data: bytes  # the file as written


def _publish_snapshot(state: TufRole, signer: Signer, moment: datetime) -> PublishedSnapshot:
    """Sign and write the next snapshot.

    The signed dict is built directly (what Snapshot.to_dict would return for MetaFiles that
    carry only a version): 16,384 MetaFile objects cost more than signing.
    """
    # Sorted here (the database's collation may order differently): json.dumps sorts the
    # keys again, and sorts sorted input fastest.
    versions = sorted(
        TufRole.objects.exclude(name__in=("root", "snapshot", "timestamp")).values_list(
            "name", "version"
        )
    )
    version = state.version + 1
    expires = moment + ONLINE_EXPIRY
    signed = {
        "_type": Snapshot.type,
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": expires.strftime(EXPIRES_FORMAT),
        "meta": _snapshot_meta(versions),
    }
    # Strings and ints only (checked above): no need to walk 16,384 entries for other types.
    data = serialization.sign_dict_to_bytes(signed, signer, types_checked=True)
    store.write(metadata_filename("snapshot", version), data)
    state.version, state.expires = version, expires
    state.save(update_fields=["version", "expires"])
    return PublishedSnapshot(version, data)


def _publish_timestamp(
    state: TufRole, signer: Signer, moment: datetime, snapshot_bytes: bytes | None = None
) -> int:
    """Sign and write timestamp.json for the published snapshot (``snapshot_bytes`` when it
    was just written, which spares reading it back)."""
    snapshot = TufRole.objects.get(name="snapshot")
    if snapshot_bytes is None:
        snapshot_bytes = store.read(metadata_filename("snapshot", snapshot.version))
        if snapshot_bytes is None:
            raise TufError(
                _("The published snapshot (version %(version)d) is not in the database.")
                % {"version": snapshot.version}
            )
    snapshot_meta = MetaFile(
        version=snapshot.version,
        length=len(snapshot_bytes),
        hashes={"sha256": hashlib.sha256(snapshot_bytes).hexdigest()},
    )
    version = state.version + 1
    md = Metadata(
        Timestamp(version=version, expires=moment + ONLINE_EXPIRY, snapshot_meta=snapshot_meta)
    )
    store.write(store.TIMESTAMP, serialization.sign_to_bytes(md, signer))
    state.version, state.expires = version, md.signed.expires
    state.save(update_fields=["version", "expires"])
    return version


def run_purge_hook(urls: list[str]) -> None:
    """Tell a CDN which cached URLs changed (CHEESESHOP_TUF_PURGE_HOOK), never failing."""
    path = settings.CHEESESHOP_TUF_PURGE_HOOK
    if not path:
        return
    try:
        import_string(path)(urls)
    except Exception:
        logger.exception("TUF purge hook %s failed", path)


# --- Offline roles ------------------------------------------------------------------------


def publish_offline_locked(role: str, md: Metadata) -> None:
    """Store a threshold-signed root/targets/bins, record it and drop its pending copy (lock
    held by the caller, in its transaction: the server never offers a root, targets or bins
    version its database does not have, which a client would adopt and then refuse
    everything signed without it)."""
    write_role(role, md)
    TufRole.objects.filter(name=role).update(version=md.signed.version, expires=md.signed.expires)
    store.delete(pending_name(role))


def pending_name(role: str) -> str:
    return f"{store.PENDING}{role}.json"


def write_pending(role: str, md: Metadata) -> None:
    """Keep metadata that awaits more signatures (indented: key holders read it)."""
    store.write(pending_name(role), md.to_bytes(offline.PENDING_SERIALIZER))


def read_pending(role: str) -> Metadata:
    body = store.read(pending_name(role))
    if body is None:
        raise TufError(_("There is no pending %(role)s metadata to sign.") % {"role": role})
    return Metadata.from_bytes(body)


def pending_roles() -> list[str]:
    """Offline roles with metadata waiting for signatures, in signing order."""
    waiting = set(store.names(store.PENDING))
    return [role for role in keys.OFFLINE_ROLES if pending_name(role) in waiting]


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
