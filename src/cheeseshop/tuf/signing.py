"""The key holders' ceremonies on offline roles: ``tuf sign`` (and ``import-signatures`` for a
copy signed elsewhere), ``tuf renew`` and ``tuf abandon``. A role is published once a threshold
of its keys has signed it; signing what an initialisation or an online-key rotation waits for
completes that ceremony."""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cheeseshop.audit.models import EventTag
from cheeseshop.tuf import keys, offline, repository
from cheeseshop.tuf.ceremony import (
    audit,
    clear_pending,
    new_version,
    online_rotation_pending,
    pending_progress,
    refuse_if_pending,
    require_a_signer,
    require_initialised,
)
from cheeseshop.tuf.initialisation import complete_initialisation
from cheeseshop.tuf.repository import TufError
from cheeseshop.tuf.rotation import complete_online_rotation_if_signed
from tuf.api.metadata import Metadata


def renew(keys_dir: Path, roles: tuple[str, ...] = keys.OFFLINE_ROLES) -> dict[str, bool]:
    """Re-sign offline roles with a fresh 1-year expiry; per role, whether it was published
    (False: signatures missing, left pending for ``tuf sign``)."""
    require_initialised()
    keys_dir = keys.check_keys_dir(keys_dir)
    refuse_if_pending(roles)
    signers = keys.load_offline_signers(keys_dir)
    renewed = {role: new_version(role) for role in roles}
    for role, md in renewed.items():
        require_a_signer(keys_dir, role, repository.authorised_keyids(role, md), signers)
    results = {}
    for role, md in renewed.items():
        results[role] = repository.finish_offline(role, md, signers)
    with transaction.atomic():
        audit(EventTag.TUF_RENEW, {"roles": results})
    return results


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


def sign(keys_dir: Path, role: str) -> SignReport:
    """Add this key holder's signatures to the pending ``role``; publish at threshold."""
    keys_dir = keys.check_keys_dir(keys_dir)
    if not repository.initialisation_pending():
        require_initialised()
    md, added = _add_signatures(keys_dir, role)
    return _after_signing(role, md, added, trust_anchor_dir=keys_dir)


def import_signatures(role: str, signed_file: Path) -> SignReport:
    """Add the signatures a key holder made offline (``sign-offline``) on a copy of the
    pending ``role``; only authorised keys' valid signatures over the same bytes count."""
    if not repository.initialisation_pending():
        require_initialised()
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
        init_report = complete_initialisation(trust_anchor_dir)
        report = SignReport(
            role,
            added,
            published=not init_report.pending,
            pending=init_report.pending,
            trust_anchor=init_report.trust_anchor,
        )
    else:
        if online_rotation_pending() and role in ("root", "bins"):
            repository.write_pending(role, md)
            published = complete_online_rotation_if_signed()
        else:
            published = repository.finish_offline(role, md, [])
        report = SignReport(role, added, published=published, pending=pending_progress())
    with transaction.atomic():
        _audit_sign(report, md)
    return report


def _audit_sign(report: SignReport, md: Metadata) -> None:
    audit(
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
    rotation = online_rotation_pending()
    clear_pending()
    if rotation and keys.online_key_file() is not None:
        keys.staged_online_key_file().unlink(missing_ok=True)
    with transaction.atomic():
        audit(EventTag.TUF_ABANDON, {"roles": roles})
    return roles
