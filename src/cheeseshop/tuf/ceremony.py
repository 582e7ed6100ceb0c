"""What every ceremony of ``cheeseshop tuf`` shares: the audit record, the checks that the
repository is initialised and that nothing waits for signatures, and the pending documents
(offline metadata short of a threshold of signatures, waiting for the other key holders)."""

from pathlib import Path

from django.utils.translation import gettext as _

from cheeseshop.audit.models import EventTag
from cheeseshop.tuf import keys, repository, store
from cheeseshop.tuf.models import TufRepository
from cheeseshop.tuf.repository import TufError, utcnow
from tuf.api.metadata import Metadata

# Pending while a rotation of the online key waits for signatures.
PENDING_ONLINE_KEY = f"{store.PENDING}online-key.json"


def audit(tag: EventTag, additional: dict) -> None:
    """Record a ceremony (call inside the transaction that made it happen)."""
    from cheeseshop.audit.services import CLI, record_event

    record_event(tag, credential=CLI, additional=additional)


def require_initialised() -> TufRepository:
    state = TufRepository.objects.first()
    if state is None:
        raise TufError(_("TUF is not initialised: run “cheeseshop tuf init” first."))
    return state


def refuse_if_pending(roles: tuple[str, ...]) -> None:
    waiting = [role for role in repository.pending_roles() if role in roles]
    if waiting or online_rotation_pending():
        raise TufError(
            _(
                "Offline metadata is already waiting for signatures (%(roles)s): finish it with "
                "“cheeseshop tuf sign” or abandon it with “cheeseshop tuf abandon”."
            )
            % {"roles": ", ".join(repository.pending_roles())}
        )


def online_rotation_pending() -> bool:
    return store.exists(PENDING_ONLINE_KEY)


def new_version(role: str) -> Metadata:
    md = repository.load_published(role)
    md.signed.version += 1
    md.signed.expires = utcnow() + repository.OFFLINE_EXPIRY
    md.signatures.clear()
    return md


def require_a_signer(keys_dir: Path, role: str, authorised: set[str], signers: list) -> None:
    """Refuse a ceremony started from a keys directory holding none of the keys that may sign
    (a wrong ``--keys-dir``): other holders can add signatures, but someone must start."""
    if not any(signer.public_key.keyid in authorised for signer in signers):
        raise TufError(
            _("No key in %(dir)s may sign %(role)s (it accepts the keys %(keyids)s).")
            % {"dir": keys_dir, "role": role, "keyids": ", ".join(sorted(authorised))}
        )


def pending_progress() -> dict[str, str]:
    """Roles still short of signatures, with how many they have."""
    progress = {}
    for role in repository.pending_roles():
        md = repository.read_pending(role)
        if not repository.threshold_met(role, md):
            progress[role] = repository.signature_progress(role, md)
    return progress


def clear_pending() -> None:
    store.delete_many(
        [
            *(repository.pending_name(role) for role in keys.OFFLINE_ROLES),
            repository.PENDING_INIT,
            PENDING_ONLINE_KEY,
        ]
    )
