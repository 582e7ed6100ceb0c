"""Key rotations: the online key (``tuf rotate-online-key``) and the root keys
(``tuf rotate-root``). Each new root is signed by the keys that may sign it; what lacks a
threshold waits for the other holders (``tuf sign``), and the index keeps signing with the old
online key until the rotation is complete."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cheeseshop.audit.models import EventTag
from cheeseshop.tuf import keys, repository, store
from cheeseshop.tuf.ceremony import (
    PENDING_ONLINE_KEY,
    audit,
    new_version,
    pending_progress,
    refuse_if_pending,
    require_a_signer,
    require_initialised,
)
from cheeseshop.tuf.models import TufRole
from cheeseshop.tuf.repository import TufError
from tuf.api.metadata import Metadata


@dataclass
class RotationReport:
    root_version: int
    new_keyid: str
    published: bool
    pending: dict[str, str] = field(default_factory=dict)


def rotate_online_key(keys_dir: Path, new_public_key: Path | None = None) -> RotationReport:
    """Replace the online key: new root (snapshot, timestamp keys) and bins (bin-n keys), then
    every bin, snapshot and timestamp re-signed with it.

    Signed here with the keys in ``keys_dir``; what lacks a threshold waits for the other
    holders (``tuf sign --role root|bins``) and the index keeps signing with the old key until
    both are complete: a half-done rotation would sign with a key clients do not trust.
    """
    state = require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    refuse_if_pending(("root", "bins"))
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
    root = new_version("root")
    for role in ("snapshot", "timestamp"):
        root.signed.revoke_key(old_keyid, role)
        root.signed.add_key(new_key, role)
    bins_state = TufRole.objects.get(name="bins")
    bins = repository.build_bins(new_key, state.bit_length, version=bins_state.version + 1)
    signers = keys.load_offline_signers(keys_dir)
    require_a_signer(
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
    rotation = {
        "old_keyid": old_keyid,
        "public_key": keys.public_key_to_dict(new_key),
        "staged": new_signer is not None,
    }
    store.write(PENDING_ONLINE_KEY, (json.dumps(rotation, indent=2) + "\n").encode())
    published = complete_online_rotation_if_signed()
    report = RotationReport(
        root_version=root.signed.version,
        new_keyid=new_key.keyid,
        published=published,
        pending=pending_progress(),
    )
    if not published:
        with transaction.atomic():
            audit(
                EventTag.TUF_ONLINE_KEY_ROTATE,
                {"published": False, "old_keyid": old_keyid, "new_keyid": new_key.keyid},
            )
    return report


def complete_online_rotation_if_signed() -> bool:
    """Publish the pending root and bins of an online-key rotation once both are signed."""
    root = repository.read_pending("root")
    bins = repository.read_pending("bins")
    if not (repository.threshold_met("root", root) and repository.threshold_met("bins", bins)):
        return False
    rotation = json.loads(store.read(PENDING_ONLINE_KEY))
    new_key = rotation["public_key"]
    installed = False
    try:
        with transaction.atomic():
            state = repository.lock_repository()
            if rotation["staged"]:
                keys.install_staged_online_key(new_key["keyid"])
                installed = True
            _publish_online_rotation(state, root, bins, rotation)
            store.delete(PENDING_ONLINE_KEY)
    except BaseException:
        # The database still names the old key: so must the key file.
        if installed:
            keys.restore_replaced_online_key(new_key["keyid"])
        raise
    return True


def _publish_online_rotation(state, root: Metadata, bins: Metadata, rotation: dict) -> None:
    """Root and bins naming the new key, then every bin, snapshot and timestamp signed with
    it (the repository lock is held by the caller)."""
    new_key = rotation["public_key"]
    repository.publish_offline_locked("root", root)
    repository.publish_offline_locked("bins", bins)
    state.online_key = new_key
    state.save(update_fields=["online_key"])
    repository.publish_locked(state, all_bins=True)
    audit(
        EventTag.TUF_ONLINE_KEY_ROTATE,
        {
            "published": True,
            "old_keyid": rotation["old_keyid"],
            "new_keyid": new_key["keyid"],
            "root_version": root.signed.version,
        },
    )


@dataclass(frozen=True)
class RootRotationReport:
    version: int  # of the new root
    published: bool  # False: waiting for the other holders' signatures


def rotate_root(
    keys_dir: Path, *, root_keys: int | None = None, threshold: int | None = None
) -> RootRotationReport:
    """New root keys: a new root version signed by a threshold of the old and of the new keys.

    When old keys are missing from ``keys_dir`` the new root is left pending for the other
    holders (``tuf sign --role root``).
    """
    require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    refuse_if_pending(("root",))
    root = new_version("root")
    old_keyids = list(root.signed.roles["root"].keyids)
    count = root_keys or len(old_keyids)
    new_threshold = threshold or root.signed.roles["root"].threshold
    repository.check_threshold("root", new_threshold, count)
    old_signers = keys.load_offline_signers(keys_dir)
    current_keyids = set(repository.load_published("root").signed.roles["root"].keyids)
    require_a_signer(keys_dir, "root", current_keyids, old_signers)
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
        audit(
            EventTag.TUF_ROOT_ROTATE,
            {
                "version": root.signed.version,
                "published": published,
                "root_keyids": sorted(root.signed.roles["root"].keyids),
                "root_threshold": new_threshold,
            },
        )
    return RootRotationReport(root.signed.version, published)
