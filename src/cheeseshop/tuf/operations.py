"""The operator's ceremonies behind ``cheeseshop tuf``: init, renew, key rotation, signing,
status, garbage collection and verification with ngclient.

Offline roles follow PEP 458: root t-of-n (3 keys, threshold 2 by default), targets and bins
(2, 2). Key holders who keep their keys elsewhere give ``init`` their public keys; whatever
lacks a threshold of signatures waits in the pending directory until the other holders run
``tuf sign``. Every ceremony is recorded in the audit trail.
"""

import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cheeseshop.audit.models import EventTag
from cheeseshop.tuf import conf, keys, offline, repository, services
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget
from cheeseshop.tuf.repository import TufError, utcnow
from tuf.api.metadata import Metadata

OFFLINE_WARNING = timedelta(days=30)
VERSIONED_FILE = re.compile(r"\A([0-9]+)\.(.+)\.json\Z")
# PEP 458: root (t, n) with t > 1; targets and bins (2, 2).
DEFAULT_KEY_COUNTS = {"root": 3, "targets": 2, "bins": 2}
DEFAULT_THRESHOLDS = {"root": 2, "targets": 2, "bins": 2}
# In the pending directory while a rotation of the online key waits for signatures.
PENDING_ONLINE_KEY = "online-key.json"


def _audit(tag: EventTag, additional: dict) -> None:
    """Record a ceremony (call inside the transaction that made it happen)."""
    from cheeseshop.audit.services import CLI, record_event

    record_event(tag, credential=CLI, additional=additional)


# --- init -----------------------------------------------------------------------------------


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


def _plan_offline_keys(role: str, spec: OfflineKeySpec) -> tuple[list, int, int]:
    """(given public keys, how many keys to generate, threshold) for one offline role."""
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
    return given, count, threshold


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
    Otherwise root, targets and bins wait in the pending directory for ``tuf sign``.
    """
    started = time.perf_counter()
    bit_length = bit_length or conf.bit_length()
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
        role: _plan_offline_keys(role, specs.get(role, OfflineKeySpec()))
        for role in keys.OFFLINE_ROLES
    }
    online_key, new_online_signer = _online_public_key(online_public_key)
    _refuse_shared_keys(
        {role: given for role, (given, _count, _t) in plans.items()} | {"online": [online_key]}
    )

    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    signers = {
        role: [keys.generate_offline_key(keys_dir, role) for _ in range(count)]
        for role, (_given, count, _threshold) in plans.items()
    }
    role_keys = {
        role: plans[role][0] + [signer.public_key for signer in signers[role]]
        for role in keys.OFFLINE_ROLES
    }
    offline = {
        "root": repository.build_root(
            role_keys["root"],
            plans["root"][2],
            role_keys["targets"],
            online_key,
            targets_threshold=plans["targets"][2],
        ),
        "targets": repository.build_targets(role_keys["bins"], threshold=plans["bins"][2]),
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
    report = _complete_initialisation(keys_dir)
    report.generated = sorted(keys_dir.glob("*.pem"))
    report.seconds = time.perf_counter() - started
    if report.pending:
        with transaction.atomic():
            _audit(
                EventTag.TUF_INIT,
                {
                    "published": False,
                    "bit_length": bit_length,
                    "waiting_for": sorted(report.pending),
                },
            )
    return report


def _write_initialisation(bit_length: int, online_key) -> None:
    conf.pending_dir().mkdir(parents=True, exist_ok=True)
    (conf.pending_dir() / repository.PENDING_INIT).write_text(
        json.dumps(
            {"bit_length": bit_length, "online_key": keys.public_key_to_dict(online_key)},
            indent=2,
        )
        + "\n"
    )


def _complete_initialisation(keys_dir: Path) -> InitReport:
    """Publish version 1 if root, targets and bins all meet their thresholds."""
    started = time.perf_counter()
    initialisation = json.loads((conf.pending_dir() / repository.PENDING_INIT).read_text())
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
    """Write version 1 of the offline roles, create the database state and publish every bin,
    snapshot and timestamp; returns the number of targets signed."""
    repository.write_atomically("1.root.json", root.to_bytes(repository.SERIALIZER))
    repository._write_role("targets", targets)
    repository._write_role("bins", bins)

    moment = utcnow()
    with transaction.atomic():
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
        _audit(
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
    _clear_pending()
    from cheeseshop.tuf.tasks import schedule_refresh

    schedule_refresh()
    return target_count


def _clear_pending() -> None:
    directory = conf.pending_dir()
    for name in (
        *(f"{role}.json" for role in keys.OFFLINE_ROLES),
        repository.PENDING_INIT,
        PENDING_ONLINE_KEY,
    ):
        (directory / name).unlink(missing_ok=True)


# --- signing and renewing offline roles -----------------------------------------------------


def _require_initialised() -> TufRepository:
    state = TufRepository.objects.first()
    if state is None:
        raise TufError(_("TUF is not initialised: run “cheeseshop tuf init” first."))
    return state


def _refuse_if_pending(roles: tuple[str, ...]) -> None:
    waiting = [role for role in repository.pending_roles() if role in roles]
    if waiting or _online_rotation_pending():
        raise TufError(
            _(
                "Offline metadata is already waiting for signatures (%(roles)s): finish it with "
                "“cheeseshop tuf sign” or abandon it with “cheeseshop tuf abandon”."
            )
            % {"roles": ", ".join(repository.pending_roles())}
        )


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
    _refuse_if_pending(roles)
    signers = keys.load_offline_signers(keys_dir)
    renewed = {role: _new_version(role) for role in roles}
    for role, md in renewed.items():
        _require_a_signer(keys_dir, role, repository.authorised_keyids(role, md), signers)
    results = {}
    for role, md in renewed.items():
        results[role] = repository.finish_offline(role, md, signers)
    with transaction.atomic():
        _audit(EventTag.TUF_RENEW, {"roles": results})
    return results


def _require_a_signer(keys_dir: Path, role: str, authorised: set[str], signers: list) -> None:
    """Refuse a ceremony started from a keys directory holding none of the keys that may sign
    (a wrong ``--keys-dir``): other holders can add signatures, but someone must start."""
    if not any(signer.public_key.keyid in authorised for signer in signers):
        raise TufError(
            _("No key in %(dir)s may sign %(role)s (it accepts the keys %(keyids)s).")
            % {"dir": keys_dir, "role": role, "keyids": ", ".join(sorted(authorised))}
        )


@dataclass
class SignReport:
    role: str
    added: int
    published: bool
    # Roles still waiting for signatures after this one: role -> progress.
    pending: dict[str, str] = field(default_factory=dict)
    trust_anchor: Path | None = None


def _add_signatures(keys_dir: Path, role: str) -> tuple[Metadata, int]:
    """Sign the pending ``role`` with every authorised key in ``keys_dir``; refuse when none
    of them adds a signature it lacks."""
    md = repository.read_pending(role)
    before = set(md.signatures)
    authorised = repository.authorised_keyids(role, md)
    repository.sign_with_available_keys(md, keys.load_offline_signers(keys_dir), authorised)
    added = len(set(md.signatures) - before)
    # Nothing to add to a role that has its signatures: publishing it failed before (a full
    # disk, say), and this is the retry.
    if added == 0 and not repository.threshold_met(role, md):
        raise TufError(
            _(
                "No key in %(dir)s adds a signature to the pending %(role)s: it has %(progress)s "
                "and accepts the keys %(keyids)s."
            )
            % {
                "dir": keys_dir,
                "role": role,
                "progress": repository.signature_progress(role, md),
                "keyids": ", ".join(sorted(authorised)),
            }
        )
    return md, added


def pending_progress() -> dict[str, str]:
    """Roles still short of signatures, with how many they have."""
    progress = {}
    for role in repository.pending_roles():
        md = repository.read_pending(role)
        if not repository.threshold_met(role, md):
            progress[role] = repository.signature_progress(role, md)
    return progress


def sign(keys_dir: Path, role: str) -> SignReport:
    """Add this key holder's signatures to the pending ``role``; publish at threshold."""
    keys_dir = keys.check_keys_dir(keys_dir)
    if not repository.initialisation_pending():
        _require_initialised()
    md, added = _add_signatures(keys_dir, role)
    return _after_signing(role, md, added, trust_anchor_dir=keys_dir)


def import_signatures(role: str, signed_file: Path) -> SignReport:
    """Add the signatures a key holder made offline (``sign-offline``) on a copy of the
    pending ``role``; only authorised keys' valid signatures over the same bytes count."""
    if not repository.initialisation_pending():
        _require_initialised()
    md = repository.read_pending(role)
    signed = offline.read_metadata_file(signed_file)
    if signed.signed_bytes != md.signed_bytes:
        raise TufError(
            _(
                "%(file)s is not a copy of the pending %(role)s (version %(version)d): it "
                "was changed, or it is another version."
            )
            % {"file": signed_file, "role": role, "version": md.signed.version}
        )
    authorised = repository.authorised_keyids(role, md)
    new = {
        keyid: signature
        for keyid, signature in signed.signatures.items()
        if keyid in authorised and keyid not in md.signatures
    }
    md.signatures.update(new)
    valid = {
        keyid for result in repository.verification_results(role, md) for keyid in result.signed
    }
    invalid = sorted(set(new) - valid)
    if invalid:
        raise TufError(
            _("The signature of key %(keyids)s in %(file)s does not verify.")
            % {"keyids": ", ".join(invalid), "file": signed_file}
        )
    if not new:
        raise TufError(
            _(
                "%(file)s adds no signature to the pending %(role)s: it has %(progress)s and "
                "accepts the keys %(keyids)s."
            )
            % {
                "file": signed_file,
                "role": role,
                "progress": repository.signature_progress(role, md),
                "keyids": ", ".join(sorted(authorised)),
            }
        )
    return _after_signing(role, md, len(new), trust_anchor_dir=signed_file.parent)


def _after_signing(role: str, md: Metadata, added: int, *, trust_anchor_dir: Path) -> SignReport:
    """Keep the new signatures and publish what they complete: version 1 of every role while
    initialising, root and bins together while rotating the online key, else ``role``."""
    if repository.initialisation_pending():
        repository.write_pending(role, md)
        init_report = _complete_initialisation(trust_anchor_dir)
        report = SignReport(
            role,
            added,
            published=not init_report.pending,
            pending=init_report.pending,
            trust_anchor=init_report.trust_anchor,
        )
    else:
        if _online_rotation_pending() and role in ("root", "bins"):
            repository.write_pending(role, md)
            published = _complete_online_rotation_if_signed()
        else:
            published = repository.finish_offline(role, md, [])
        report = SignReport(role, added, published=published, pending=pending_progress())
    with transaction.atomic():
        _audit_sign(report, md)
    return report


def _audit_sign(report: SignReport, md: Metadata) -> None:
    _audit(
        EventTag.TUF_SIGN,
        {
            "role": report.role,
            "version": md.signed.version,
            "signatures_added": report.added,
            "published": report.published,
        },
    )


def abandon() -> list[str]:
    """Drop metadata waiting for signatures (and a staged online key); returns the roles."""
    roles = repository.pending_roles()
    if not roles and not repository.initialisation_pending():
        raise TufError(_("Nothing is waiting for signatures."))
    rotation = _online_rotation_pending()
    _clear_pending()
    if rotation and keys.online_key_file() is not None:
        keys.staged_online_key_file().unlink(missing_ok=True)
    with transaction.atomic():
        _audit(EventTag.TUF_ABANDON, {"roles": roles})
    return roles


# --- the online key -------------------------------------------------------------------------


@dataclass
class RotationReport:
    root_version: int
    new_keyid: str
    published: bool
    pending: dict[str, str] = field(default_factory=dict)


def _online_rotation_pending() -> bool:
    return (conf.pending_dir() / PENDING_ONLINE_KEY).exists()


def rotate_online_key(keys_dir: Path, new_public_key: Path | None = None) -> RotationReport:
    """Replace the online key: new root (snapshot, timestamp keys) and bins (bin-n keys), then
    every bin, snapshot and timestamp re-signed with it.

    Signed here with the keys in ``keys_dir``; what lacks a threshold waits for the other
    holders (``tuf sign --role root|bins``) and the index keeps signing with the old key until
    both are complete: a half-done rotation would sign with a key clients do not trust.
    """
    state = _require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    _refuse_if_pending(("root", "bins"))
    new_signer = None
    if new_public_key is not None:
        new_key = keys.load_public_key_file(new_public_key)
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
    if new_key.keyid == state.online_key["keyid"]:
        raise TufError(_("The new online key is the current one."))
    old_keyid = state.online_key["keyid"]
    root = _new_version("root")
    for role in ("snapshot", "timestamp"):
        root.signed.revoke_key(old_keyid, role)
        root.signed.add_key(new_key, role)
    bins_state = TufRole.objects.get(name="bins")
    bins = repository.build_bins(new_key, state.bit_length, version=bins_state.version + 1)
    signers = keys.load_offline_signers(keys_dir)
    _require_a_signer(
        keys_dir,
        "root or bins",
        repository.authorised_keyids("root", root) | repository.authorised_keyids("bins", bins),
        signers,
    )
    for role, md in (("root", root), ("bins", bins)):
        repository.sign_with_available_keys(md, signers, repository.authorised_keyids(role, md))
        repository.write_pending(role, md)
    if new_signer is not None:
        keys.stage_online_key(new_signer)
    (conf.pending_dir() / PENDING_ONLINE_KEY).write_text(
        json.dumps(
            {
                "old_keyid": old_keyid,
                "public_key": keys.public_key_to_dict(new_key),
                "staged": new_signer is not None,
            },
            indent=2,
        )
        + "\n"
    )
    published = _complete_online_rotation_if_signed()
    report = RotationReport(
        root_version=root.signed.version,
        new_keyid=new_key.keyid,
        published=published,
        pending=pending_progress(),
    )
    if not published:
        with transaction.atomic():
            _audit(
                EventTag.TUF_ONLINE_KEY_ROTATE,
                {"published": False, "old_keyid": old_keyid, "new_keyid": new_key.keyid},
            )
    return report


def _complete_online_rotation_if_signed() -> bool:
    """Publish the pending root and bins of an online-key rotation once both are signed."""
    root = repository.read_pending("root")
    bins = repository.read_pending("bins")
    if not (repository.threshold_met("root", root) and repository.threshold_met("bins", bins)):
        return False
    rotation = json.loads((conf.pending_dir() / PENDING_ONLINE_KEY).read_text())
    new_key = rotation["public_key"]
    installed = False
    try:
        with repository.offline_publication() as publication, transaction.atomic():
            state = repository.lock_repository()
            if rotation["staged"]:
                keys.install_staged_online_key(new_key["keyid"])
                installed = True
            _publish_online_rotation(state, root, bins, rotation, publication)
    except BaseException:
        # The database still names the old key: so must the key file.
        if installed:
            keys.restore_replaced_online_key(new_key["keyid"])
        raise
    (conf.pending_dir() / PENDING_ONLINE_KEY).unlink(missing_ok=True)
    return True


def _publish_online_rotation(
    state, root: Metadata, bins: Metadata, rotation: dict, publication
) -> None:
    """Root and bins naming the new key, then every bin, snapshot and timestamp signed with
    it (the repository lock is held by the caller)."""
    new_key = rotation["public_key"]
    repository.publish_offline_locked("root", root, publication)
    repository.publish_offline_locked("bins", bins, publication)
    state.online_key = new_key
    state.save(update_fields=["online_key"])
    repository.publish_locked(state, all_bins=True)
    _audit(
        EventTag.TUF_ONLINE_KEY_ROTATE,
        {
            "published": True,
            "old_keyid": rotation["old_keyid"],
            "new_keyid": new_key["keyid"],
            "root_version": root.signed.version,
        },
    )


# --- root keys ------------------------------------------------------------------------------


def rotate_root(keys_dir: Path, *, root_keys: int | None = None, threshold: int | None = None):
    """New root keys: a new root version signed by a threshold of the old and of the new keys.

    Returns (version, published). When old keys are missing from ``keys_dir`` the new root is
    left pending for the other holders (``tuf sign --role root``).
    """
    _require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    _refuse_if_pending(("root",))
    root = _new_version("root")
    old_keyids = list(root.signed.roles["root"].keyids)
    count = root_keys or len(old_keyids)
    new_threshold = threshold or root.signed.roles["root"].threshold
    repository.check_threshold("root", new_threshold, count)
    old_signers = keys.load_offline_signers(keys_dir)
    current_keyids = set(repository.load_published("root").signed.roles["root"].keyids)
    _require_a_signer(keys_dir, "root", current_keyids, old_signers)
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
    with transaction.atomic():
        _audit(
            EventTag.TUF_ROOT_ROTATE,
            {
                "version": root.signed.version,
                "published": published,
                "root_keyids": sorted(root.signed.roles["root"].keyids),
                "root_threshold": new_threshold,
            },
        )
    return root.signed.version, published


# --- status ---------------------------------------------------------------------------------


@dataclass
class Status:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _pending_lines() -> list[str]:
    lines = []
    for role in repository.pending_roles():
        md = repository.read_pending(role)
        if repository.threshold_met(role, md):
            message = _("%(role)s version %(version)d is signed and waits for the other roles")
        else:
            message = _("%(role)s version %(version)d waits for signatures: %(progress)s")
        lines.append(
            message
            % {
                "role": role,
                "version": md.signed.version,
                "progress": repository.signature_progress(role, md),
            }
        )
    return lines


def status() -> Status:
    result = Status()
    state = TufRepository.objects.first()
    if state is None:
        if repository.initialisation_pending():
            result.lines.extend(_pending_lines())
            result.warnings.append(
                _(
                    "TUF initialisation waits for signatures: key holders run “cheeseshop tuf "
                    "sign --role ROLE --keys-dir DIR”."
                )
            )
        else:
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
    result.lines.extend(_pending_lines())
    if _online_rotation_pending():
        result.warnings.append(
            _(
                "An online key rotation waits for signatures on root and bins; the index signs "
                "with the current key until both are complete."
            )
        )
    for role in repository.pending_roles():
        result.warnings.append(
            _("%(role)s is pending signatures (cheeseshop tuf sign --role %(role)s).")
            % {"role": role}
        )
    return result


def gc(min_age_seconds: int = 3600) -> list[str]:
    """Delete metadata older than the current consistent set and older than ``min_age``.

    Old root versions are never deleted: clients walk them to reach the current root.
    """
    _require_initialised()
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
    if removed:
        with transaction.atomic():
            _audit(EventTag.TUF_GC, {"removed": len(removed)})
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
