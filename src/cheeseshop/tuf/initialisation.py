"""``cheeseshop tuf init``: root, targets, bins, every bin, snapshot and timestamp.

Offline roles follow PEP 458: root t-of-n (3 keys, threshold 2 by default), targets and bins
(2, 2). Key holders who keep their keys elsewhere give ``init`` their public keys; whatever
lacks a threshold of signatures waits in the database until the other holders run
``tuf sign`` (``cheeseshop.tuf.signing``), which completes the initialisation here."""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cheeseshop.audit.models import EventTag
from cheeseshop.tuf import keys, repository, services, store
from cheeseshop.tuf.ceremony import audit, clear_pending
from cheeseshop.tuf.models import TufRepository, TufRole
from cheeseshop.tuf.repository import TufError, utcnow

# PEP 458: root (t, n) with t > 1; targets and bins (2, 2).
DEFAULT_KEY_COUNTS = {"root": 3, "targets": 2, "bins": 2}


DEFAULT_THRESHOLDS = {"root": 2, "targets": 2, "bins": 2}


@dataclass(frozen=True)
class OfflineKeySpec:
    """How ``init`` gets one offline role's keys: generated into the keys directory, given as
    public keys by their holders, or both."""

    generate: int | None = None  # None: the default count, or none when keys are given
    threshold: int | None = None  # None: the default, capped at the number of keys
    public_keys: tuple[Path, ...] = ()


@dataclass
class InitReport:
    keys_dir: Path
    trust_anchor: Path | None  # None while signatures are missing
    bins: int
    targets: int
    seconds: float
    generated: list[Path] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)  # role: signature progress


def _online_public_key(online_public_key: Path | None):
    """The online key's public half: given, read from the key file, or a new default key."""
    if online_public_key is not None:
        return keys.load_public_key_file(online_public_key), None
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


@dataclass(frozen=True)
class KeyPlan:
    """One offline role's keys as ``init`` will set them up."""

    given: list  # public keys from their holders
    generate: int  # keys to generate into the keys directory
    threshold: int


def plan_offline_keys(role: str, spec: OfflineKeySpec) -> KeyPlan:
    given = [keys.load_public_key_file(path) for path in spec.public_keys]
    if spec.generate is not None and spec.generate < 0:
        raise TufError(_("The number of %(role)s keys cannot be negative.") % {"role": role})
    count = spec.generate
    if count is None:
        count = 0 if given else DEFAULT_KEY_COUNTS[role]
    total = len(given) + count
    if total == 0:
        raise TufError(_("The %(role)s role needs at least one key.") % {"role": role})
    threshold = spec.threshold or min(DEFAULT_THRESHOLDS[role], total)
    repository.check_threshold(role, threshold, total)
    return KeyPlan(given, count, threshold)


def _refuse_shared_keys(keys_by_role: dict[str, list]) -> None:
    """One key, one role: a key shared between roles would let one compromise cross them."""
    owner: dict[str, str] = {}
    for role, role_keys in keys_by_role.items():
        for key in role_keys:
            if key.keyid in owner:
                other = owner[key.keyid]
                if other == role:
                    message = _("The %(role)s key %(keyid)s is given twice.")
                else:
                    message = _(
                        "The key %(keyid)s is given for both %(other)s and %(role)s: each "
                        "role needs its own keys."
                    )
                raise TufError(message % {"role": role, "other": other, "keyid": key.keyid})
            owner[key.keyid] = role


def init(
    keys_dir: Path,
    *,
    bit_length: int | None = None,
    key_specs: dict[str, OfflineKeySpec] | None = None,
    online_public_key: Path | None = None,
) -> InitReport:
    """Set up root, targets, bins, every bin, snapshot and timestamp.

    Keys to generate are written into ``keys_dir``; when they meet every offline threshold,
    version 1 is published at once and ``keys_dir/1.root.json`` is the clients' trust anchor.
    Otherwise root, targets and bins wait, pending, for ``tuf sign``.
    """
    started = time.perf_counter()
    bit_length = bit_length or settings.CHEESESHOP_TUF_BIT_LENGTH
    if not 1 <= bit_length <= 32:
        raise TufError(_("The bit length must be between 1 and 32."))
    keys_dir = keys.check_keys_dir(keys_dir)
    if TufRepository.objects.exists():
        raise TufError(_("TUF is already initialised on this index."))
    if repository.initialisation_pending():
        raise TufError(
            _(
                "An initialisation is waiting for signatures: finish it with “cheeseshop tuf "
                "sign”, or abandon it with “cheeseshop tuf abandon”."
            )
        )
    if keys_dir.exists() and any(keys_dir.glob("*.pem")):
        raise TufError(
            _("The keys directory %(dir)s already holds keys; give an empty directory.")
            % {"dir": keys_dir}
        )
    specs = key_specs or {}
    plans = {
        role: plan_offline_keys(role, specs.get(role, OfflineKeySpec()))
        for role in keys.OFFLINE_ROLES
    }
    online_key, new_online_signer = _online_public_key(online_public_key)
    _refuse_shared_keys(
        {role: plan.given for role, plan in plans.items()} | {"online": [online_key]}
    )

    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    signers = {
        role: [keys.generate_offline_key(keys_dir, role) for _ in range(plan.generate)]
        for role, plan in plans.items()
    }
    role_keys = {
        role: plans[role].given + [signer.public_key for signer in signers[role]]
        for role in keys.OFFLINE_ROLES
    }
    offline = {
        "root": repository.build_root(
            role_keys["root"],
            plans["root"].threshold,
            role_keys["targets"],
            online_key,
            targets_threshold=plans["targets"].threshold,
        ),
        "targets": repository.build_targets(role_keys["bins"], threshold=plans["bins"].threshold),
        "bins": repository.build_bins(online_key, bit_length),
    }
    if new_online_signer is not None:
        keys.store_online_key_file(new_online_signer)
    all_signers = [signer for role in keys.OFFLINE_ROLES for signer in signers[role]]
    # Written as pending first, so that one path (``tuf sign`` uses it too) checks the
    # thresholds and publishes; a crash before publishing leaves a resumable ceremony.
    _write_initialisation(bit_length, online_key)
    # In delegation order: each role's keys are read from the pending role above it, written
    # just before (root v1 names its own).
    for role in keys.OFFLINE_ROLES:
        md = offline[role]
        repository.sign_with_available_keys(
            md, all_signers, repository.authorised_keyids(role, md)
        )
        repository.write_pending(role, md)
    report = complete_initialisation(keys_dir)
    report.generated = sorted(keys_dir.glob("*.pem"))
    report.seconds = time.perf_counter() - started
    if report.pending:
        with transaction.atomic():
            audit(
                EventTag.TUF_INIT,
                {
                    "published": False,
                    "bit_length": bit_length,
                    "waiting_for": sorted(report.pending),
                },
            )
    return report


def _write_initialisation(bit_length: int, online_key) -> None:
    initialisation = {"bit_length": bit_length, "online_key": keys.public_key_to_dict(online_key)}
    store.write(repository.PENDING_INIT, (json.dumps(initialisation, indent=2) + "\n").encode())


def complete_initialisation(keys_dir: Path) -> InitReport:
    """Publish version 1 if root, targets and bins all meet their thresholds."""
    started = time.perf_counter()
    initialisation = json.loads(store.read(repository.PENDING_INIT))
    bit_length = initialisation["bit_length"]
    offline = {role: repository.read_pending(role) for role in keys.OFFLINE_ROLES}
    pending = {
        role: repository.signature_progress(role, md)
        for role, md in offline.items()
        if not repository.threshold_met(role, md)
    }
    report = InitReport(
        keys_dir=keys_dir,
        trust_anchor=None,
        bins=2**bit_length,
        targets=0,
        seconds=0.0,
        pending=pending,
    )
    if pending:
        return report
    root_bytes = offline["root"].to_bytes(repository.SERIALIZER)
    trust_anchor = keys_dir / "1.root.json"
    trust_anchor.write_bytes(root_bytes)
    report.trust_anchor = trust_anchor
    report.targets = _publish_initial(
        offline["root"],
        offline["targets"],
        offline["bins"],
        bit_length,
        initialisation["online_key"],
    )
    report.seconds = time.perf_counter() - started
    return report


def _publish_initial(root, targets, bins, bit_length: int, online_key: dict) -> int:
    """Store version 1 of the offline roles, create the database state and publish every bin,
    snapshot and timestamp, in one transaction; returns the number of targets signed."""
    moment = utcnow()
    with transaction.atomic():
        repository.write_role("root", root)
        repository.write_role("targets", targets)
        repository.write_role("bins", bins)
        state = TufRepository.objects.create(bit_length=bit_length, online_key=online_key)
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
        audit(
            EventTag.TUF_INIT,
            {
                "published": True,
                "bit_length": bit_length,
                "root_keyids": sorted(root.signed.roles["root"].keyids),
                "root_threshold": root.signed.roles["root"].threshold,
                "targets_keyids": sorted(root.signed.roles["targets"].keyids),
                "targets_threshold": root.signed.roles["targets"].threshold,
                "bins_keyids": sorted(targets.signed.delegations.roles["bins"].keyids),
                "bins_threshold": targets.signed.delegations.roles["bins"].threshold,
                "online_keyid": online_key["keyid"],
                "targets": target_count,
            },
        )
        clear_pending()
    from cheeseshop.tuf.tasks import schedule_refresh

    schedule_refresh()
    return target_count
