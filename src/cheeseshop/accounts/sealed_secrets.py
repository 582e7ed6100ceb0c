"""Which parts of a two-factor method's stored data are secrets, sealed at rest
(``cheeseshop.sealing``): an authenticator app's TOTP secret, the seed recovery codes are derived
from, and recovery codes carried over from another package. Whoever holds them logs in as the
user with the password alone; a copy of the database must not give them.

Functions of (type, data), so the data migration, the system check and ``cheeseshop reseal``
share them.
"""

from collections.abc import Callable

from cheeseshop import sealing

TOTP = "totp"
RECOVERY_CODES = "recovery_codes"
# Per authenticator type: the keys of its data holding one secret, and those holding a list.
SECRET_KEYS = {TOTP: ("secret",), RECOVERY_CODES: ("seed",)}
SECRET_LIST_KEYS = {RECOVERY_CODES: ("migrated_codes",)}


def secrets_of(kind: str, data: dict) -> list[str]:
    found = [data[key] for key in SECRET_KEYS.get(kind, ()) if data.get(key) is not None]
    for key in SECRET_LIST_KEYS.get(kind, ()):
        found += data.get(key) or []
    return found


def with_secrets_changed(kind: str, data: dict, change: Callable[[str], str]) -> dict:
    """``data`` with each of its secrets replaced by ``change(secret)``."""
    changed = dict(data)
    for key in SECRET_KEYS.get(kind, ()):
        if changed.get(key) is not None:
            changed[key] = change(changed[key])
    for key in SECRET_LIST_KEYS.get(kind, ()):
        if changed.get(key) is not None:
            changed[key] = [change(value) for value in changed[key]]
    return changed


def sealed_if_plain(value: str) -> str:
    return value if sealing.is_sealed(value) else sealing.seal_text(value)


def plain_if_sealed(value: str) -> str:
    return sealing.unseal_text(value) if sealing.is_sealed(value) else value


def resealed(value: str) -> str:
    """Sealed under the current SECRET_KEY, whether it was plain or sealed under a fallback."""
    return sealing.reseal_text(value) if sealing.is_sealed(value) else sealing.seal_text(value)


def opens(kind: str, data: dict) -> bool:
    """Whether every sealed secret of ``data`` opens with the keys this index holds."""
    return all(
        sealing.opens(value) for value in secrets_of(kind, data) if sealing.is_sealed(value)
    )


def reseal_two_factor_secrets() -> int:
    """Seal every stored two-factor secret under the current SECRET_KEY; returns how many
    methods were sealed again. Raises ``sealing.Unsealable`` when one does not open (the
    caller's transaction then leaves everything as it was)."""
    from allauth.mfa.models import Authenticator

    resealed_count = 0
    methods = Authenticator.objects.select_for_update().exclude(type=Authenticator.Type.WEBAUTHN)
    for authenticator in methods.order_by("pk"):
        data = with_secrets_changed(authenticator.type, authenticator.data, resealed)
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            resealed_count += 1
    return resealed_count
