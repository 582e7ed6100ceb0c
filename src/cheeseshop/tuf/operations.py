"""The operator's ceremonies behind ``cheeseshop tuf``: init, renew, key rotation, signing,
status, garbage collection and verification with ngclient."""

import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cheeseshop.tuf import conf, keys, repository, services
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget
from cheeseshop.tuf.repository import TufError, utcnow
from tuf.api.metadata import Metadata

OFFLINE_WARNING = timedelta(days=30)
VERSIONED_FILE = re.compile(r"\A([0-9]+)\.(.+)\.json\Z")


@dataclass
class InitReport:
    keys_dir: Path
    trust_anchor: Path
    bins: int
    targets: int
    seconds: float


def _online_public_key(online_public_key: Path | None):
    """The online key's public half: given, read from the key file, or a new default key."""
    if online_public_key is not None:
        return keys.public_key_from_dict(json.loads(online_public_key.read_text())), None
    existing = keys.read_file_online_key()
    if existing is not None:
        return existing, None
    if keys.online_key_file() is None:
        raise TufError(
            _(
                "CHEESESHOP_TUF_ONLINE_KEY_URI is not a key file this command can read: give "
                "its public key with --online-public-key."
            )
        )
    signer = keys.generate_online_key()
    return signer.public_key, signer


def init(
    keys_dir: Path,
    *,
    bit_length: int | None = None,
    root_keys: int = 3,
    root_threshold: int = 2,
    online_public_key: Path | None = None,
) -> InitReport:
    """Generate the offline keys into ``keys_dir``, sign every role and publish version 1."""
    started = time.perf_counter()
    bit_length = bit_length or conf.bit_length()
    if not 1 <= bit_length <= 32:
        raise TufError(_("The bit length must be between 1 and 32."))
    keys_dir = keys.check_keys_dir(keys_dir)
    if TufRepository.objects.exists():
        raise TufError(_("TUF is already initialised on this index."))
    if keys_dir.exists() and any(keys_dir.glob("*.pem")):
        raise TufError(
            _("The keys directory %(dir)s already holds keys; give an empty directory.")
            % {"dir": keys_dir}
        )
    if not 1 <= root_threshold <= root_keys:
        raise TufError(
            _("The root threshold must be between 1 and the number of root keys (%(n)d).")
            % {"n": root_keys}
        )
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    online_key, new_online_signer = _online_public_key(online_public_key)
    root_signers = [keys.generate_offline_key(keys_dir, "root") for _ in range(root_keys)]
    targets_signer = keys.generate_offline_key(keys_dir, "targets")
    bins_signer = keys.generate_offline_key(keys_dir, "bins")

    root = repository.build_root(
        [s.public_key for s in root_signers],
        root_threshold,
        [targets_signer.public_key],
        online_key,
    )
    for signer in root_signers:
        root.sign(signer, append=True)
    targets = repository.build_targets([bins_signer.public_key])
    targets.sign(targets_signer)
    bins = repository.build_bins(online_key, bit_length)
    bins.sign(bins_signer)

    if new_online_signer is not None:
        keys.store_online_key_file(new_online_signer)
    root_bytes = root.to_bytes(repository.SERIALIZER)
    trust_anchor = keys_dir / "1.root.json"
    trust_anchor.write_bytes(root_bytes)
    repository.write_atomically("1.root.json", root_bytes)
    repository._write_role("targets", targets)
    repository._write_role("bins", bins)

    moment = utcnow()
    with transaction.atomic():
        state = TufRepository.objects.create(
            bit_length=bit_length, online_key=keys.public_key_to_dict(online_key)
        )
        state = repository.lock_repository()
        TufRole.objects.bulk_create(
            [
                TufRole(name="root", version=1, expires=root.signed.expires),
                TufRole(name="targets", version=1, expires=targets.signed.expires),
                TufRole(name="bins", version=1, expires=bins.signed.expires),
                TufRole(name="snapshot", version=0, expires=moment),
                TufRole(name="timestamp", version=0, expires=moment),
            ]
        )
        TufRole.objects.bulk_create(
            (
                TufRole(name=repository.bin_name(index, bit_length), version=0, expires=moment)
                for index in range(2**bit_length)
            ),
            batch_size=2000,
        )
        target_count = services.sync_all_projects(bit_length)
        repository.publish_locked(state, all_bins=True)
    from cheeseshop.tuf.tasks import schedule_refresh

    schedule_refresh()
    return InitReport(
        keys_dir=keys_dir,
        trust_anchor=trust_anchor,
        bins=2**bit_length,
        targets=target_count,
        seconds=time.perf_counter() - started,
    )


def _require_initialised() -> TufRepository:
    state = TufRepository.objects.first()
    if state is None:
        raise TufError(_("TUF is not initialised: run “cheeseshop tuf init” first."))
    return state


def _new_version(role: str) -> Metadata:
    md = repository.load_published(role)
    md.signed.version += 1
    md.signed.expires = utcnow() + repository.OFFLINE_EXPIRY
    md.signatures.clear()
    return md


def renew(keys_dir: Path, roles: tuple[str, ...] = keys.OFFLINE_ROLES) -> dict[str, bool]:
    """Re-sign offline roles with a fresh 1-year expiry; per role, whether it was published
    (False: signatures missing, left pending for ``tuf sign``)."""
    _require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    results = {}
    for role in roles:
        md = _new_version(role)
        results[role] = repository.finish_offline(
            role, md, keys.load_offline_signers(keys_dir, role)
        )
    return results


def sign(keys_dir: Path, role: str) -> bool:
    """Add this key holder's signatures to the pending ``role``; publish it at threshold."""
    _require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    md = repository.read_pending(role)
    return repository.finish_offline(role, md, keys.load_offline_signers(keys_dir, role))


def rotate_online_key(keys_dir: Path, new_public_key: Path | None = None) -> int:
    """Replace the online key: new root (snapshot, timestamp keys) and bins (bin-n keys), then
    every bin, snapshot and timestamp re-signed with it. Returns the new root version.

    Needs a threshold of root keys and the bins key in ``keys_dir``: a half-done rotation
    would leave the index signing with a key clients do not trust.
    """
    state = _require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    if new_public_key is not None:
        new_key, new_signer = (
            keys.public_key_from_dict(json.loads(new_public_key.read_text())),
            None,
        )
    elif keys.online_key_file() is not None:
        new_signer = keys.generate_online_key()
        new_key = new_signer.public_key
    else:
        raise TufError(
            _(
                "The online key is not a key file: give the new key's public half with "
                "--online-public-key after pointing CHEESESHOP_TUF_ONLINE_KEY_URI at it."
            )
        )
    old_keyid = state.online_key["keyid"]
    root = _new_version("root")
    for role in ("snapshot", "timestamp"):
        root.signed.revoke_key(old_keyid, role)
        root.signed.add_key(new_key, role)
    repository.sign_with_available_keys(
        root,
        keys.load_offline_signers(keys_dir, "root"),
        repository.authorised_keyids("root", root),
    )
    bins_state = TufRole.objects.get(name="bins")
    bins = repository.build_bins(new_key, state.bit_length, version=bins_state.version + 1)
    repository.sign_with_available_keys(
        bins,
        keys.load_offline_signers(keys_dir, "bins"),
        repository.authorised_keyids("bins", bins),
    )
    if not repository.threshold_met("root", root):
        raise TufError(
            _("The keys directory lacks a threshold of root keys to rotate the online key.")
        )
    if not repository.threshold_met("bins", bins):
        raise TufError(_("The keys directory lacks the bins key to rotate the online key."))
    with transaction.atomic():
        state = repository.lock_repository()
        if new_signer is not None:
            keys.store_online_key_file(new_signer)
        repository.publish_offline_locked("root", root)
        repository.publish_offline_locked("bins", bins)
        state.online_key = keys.public_key_to_dict(new_key)
        state.save(update_fields=["online_key"])
        repository.publish_locked(state, all_bins=True)
    return root.signed.version


def rotate_root(keys_dir: Path, *, root_keys: int | None = None, threshold: int | None = None):
    """New root keys: a new root version signed by a threshold of the old and of the new keys.

    Returns (version, published). When old keys are missing from ``keys_dir`` the new root is
    left pending for the other holders (``tuf sign --role root``).
    """
    _require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    root = _new_version("root")
    old_keyids = list(root.signed.roles["root"].keyids)
    count = root_keys or len(old_keyids)
    new_threshold = threshold or root.signed.roles["root"].threshold
    if not 1 <= new_threshold <= count:
        raise TufError(
            _("The root threshold must be between 1 and the number of root keys (%(n)d).")
            % {"n": count}
        )
    old_signers = keys.load_offline_signers(keys_dir, "root")
    new_signers = [keys.generate_offline_key(keys_dir, "root") for _ in range(count)]
    for keyid in old_keyids:
        root.signed.revoke_key(keyid, "root")
    for signer in new_signers:
        root.signed.add_key(signer.public_key, "root")
    root.signed.roles["root"].threshold = new_threshold
    published = repository.finish_offline("root", root, old_signers + new_signers)
    if published:
        for keyid in old_keyids:
            keys.retire_offline_key(keys_dir, keyid, "root")
    return root.signed.version, published


@dataclass
class Status:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def status() -> Status:
    result = Status()
    state = TufRepository.objects.first()
    if state is None:
        result.warnings.append(_("TUF is not initialised: run “cheeseshop tuf init”."))
        return result
    now = utcnow()
    bins = TufRole.objects.filter(name__startswith=f"{conf.BIN_PREFIX}-")
    result.lines.append(f"metadata directory: {conf.metadata_dir()}")
    result.lines.append(f"bins: {2**state.bit_length} (bit length {state.bit_length})")
    result.lines.append(f"targets: {TufTarget.objects.count()}")
    result.lines.append(f"pending (dirty) bins: {bins.filter(dirty=True).count()}")
    result.lines.append(f"online key: {state.online_key['keyid']}")
    for role in TufRole.objects.filter(name__in=repository.TOP_LEVEL_ROLES).order_by("name"):
        result.lines.append(
            f"{role.name}: version {role.version}, expires {role.expires:%Y-%m-%d %H:%M:%SZ}"
        )
        if role.name in keys.OFFLINE_ROLES and role.expires - now < OFFLINE_WARNING:
            result.warnings.append(
                _("%(role)s expires on %(date)s: run “cheeseshop tuf renew”.")
                % {"role": role.name, "date": f"{role.expires:%Y-%m-%d}"}
            )
        elif role.expires <= now:
            result.warnings.append(
                _("%(role)s has expired: is the worker running the refresh?") % {"role": role.name}
            )
    expired_bins = bins.filter(expires__lte=now).count()
    if expired_bins:
        result.warnings.append(_("%(n)d bins have expired.") % {"n": expired_bins})
    for pending in (
        sorted(conf.pending_dir().glob("*.json")) if conf.pending_dir().exists() else []
    ):
        result.warnings.append(
            _("%(role)s is pending signatures (cheeseshop tuf sign --role %(role)s).")
            % {"role": pending.stem}
        )
    return result


def gc(min_age_seconds: int = 3600) -> list[str]:
    """Delete metadata older than the current consistent set and older than ``min_age``.

    Old root versions are never deleted: clients walk them to reach the current root.
    """
    current = dict(TufRole.objects.values_list("name", "version"))
    cutoff = time.time() - min_age_seconds
    removed = []
    for path in sorted(conf.metadata_dir().glob("*.json")):
        match = VERSIONED_FILE.match(path.name)
        if match is None or match[2] == "root":
            continue
        version, role = int(match[1]), match[2]
        if version >= current.get(role, version + 1) and role in current:
            continue
        if path.stat().st_mtime > cutoff:
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


@dataclass
class VerifyReport:
    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def verify(base_url: str, trusted_root: bytes, paths: list[str], fetcher=None) -> VerifyReport:
    """Refresh an ngclient Updater pinned to ``trusted_root`` against the index at
    ``base_url`` and download and verify each target path."""
    from tuf.ngclient import Updater

    report = VerifyReport()
    base = base_url.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="cheeseshop-tuf-verify-") as work:
        metadata = Path(work) / "metadata"
        targets = Path(work) / "targets"
        metadata.mkdir()
        targets.mkdir()
        updater = Updater(
            str(metadata),
            f"{base}/tuf/",
            str(targets),
            f"{base}/",
            fetcher=fetcher,
            bootstrap=trusted_root,
        )
        try:
            updater.refresh()
        except Exception as exc:
            report.failures.append(f"refresh: {type(exc).__name__}: {exc}")
            return report
        for path in paths:
            try:
                info = updater.get_targetinfo(path)
                if info is None:
                    report.failures.append(f"{path}: not a signed target")
                    continue
                updater.download_target(info)
                report.checked.append(path)
            except Exception as exc:
                report.failures.append(f"{path}: {type(exc).__name__}: {exc}")
    return report


def sample_target_paths(count: int) -> list[str]:
    return list(TufTarget.objects.order_by("?").values_list("path", flat=True)[:count])
