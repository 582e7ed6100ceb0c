"""One secret key for every node of an index: sessions, CSRF tokens, links and sealed values
made by one node must open on the next, so nodes sharing a database must share
CHEESESHOP_SECRET_KEY.

The key itself is never stored (a copy of the database must hold nothing that logs in): each
node records a fingerprint of it, an HMAC of a fixed label under the key, as it starts, and a
node whose key is neither the recorded one nor accepted by it refuses to start. A deliberate
rotation passes: a node with the new key and the old one among SECRET_KEY_FALLBACKS is accepted
and records the new key's fingerprint.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import transaction

from cheeseshop.errors import Conflict
from cheeseshop.locks import lock_for_transaction

# What the fingerprint is an HMAC of: a label of its own, so it matches no other use of the key.
FINGERPRINT_LABEL = b"cheeseshop.secret-key-fingerprint"

MISMATCH = (
    "this node's secret key is not the one recorded in the database by the nodes that started "
    "on it before: set CHEESESHOP_SECRET_KEY to the same value on every node (to change the "
    "key on purpose, start every node with the new key and the old one in "
    "CHEESESHOP_SECRET_KEY_FALLBACKS, then run `cheeseshop reseal`)"
)


class SecretKeyMismatch(Conflict):
    """This node's secret key differs from the one the other nodes use."""


def fingerprint(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def recorded_fingerprint(using: str = "default") -> str | None:
    from cheeseshop.accounts.models import SecretKeyFingerprint

    row = SecretKeyFingerprint.objects.using(using).filter(pk=SecretKeyFingerprint.ONLY).first()
    return row.fingerprint if row else None


def accepts(recorded: str | None) -> bool:
    """Whether this node's keys accept what was recorded: nothing yet, its own key, or a key it
    keeps as a fallback (a rotation under way)."""
    if recorded is None:
        return True
    ours = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(hmac.compare_digest(recorded, fingerprint(key)) for key in ours)


def record_secret_key() -> bool:
    """Record this node's key as the one the nodes of this database use; True when that
    changed what was recorded (a first start, or a rotation). Raises SecretKeyMismatch, and
    records nothing, when this node's keys do not accept the recorded one."""
    from cheeseshop.accounts.models import SecretKeyFingerprint

    ours = fingerprint(settings.SECRET_KEY)
    with transaction.atomic():
        # Two nodes starting at once: the second sees what the first recorded.
        lock_for_transaction("cheeseshop.accounts.secret_key")
        recorded = recorded_fingerprint()
        if recorded is not None and hmac.compare_digest(recorded, ours):
            return False
        if not accepts(recorded):
            raise SecretKeyMismatch(MISMATCH)
        SecretKeyFingerprint.objects.update_or_create(
            pk=SecretKeyFingerprint.ONLY, defaults={"fingerprint": ours}
        )
    return True
