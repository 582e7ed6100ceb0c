"""Sealed values: secrets the index must read back (TOTP secrets, recovery-code seeds, API
tokens' root keys) stored encrypted, so that a copy of the database alone opens nothing.

A value is sealed with Fernet (AES-128-CBC and HMAC-SHA256) under a key derived by HKDF from
``SECRET_KEY``; it opens under that key or one derived from any of ``SECRET_KEY_FALLBACKS``, so a
rotated secret key keeps the index working until ``cheeseshop reseal`` has sealed everything
again under the new one and the old key can be dropped from the fallbacks.

Sealed values carry a prefix, so that a value stored before sealing existed (plain) is told
apart from one sealed under a key this index no longer holds.
"""

from base64 import urlsafe_b64encode
from collections.abc import Callable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.db import connections
from django.utils.translation import gettext_lazy as _

from cheeseshop.errors import Invalid

PREFIX = b"sealed1:"
# What the derived keys are for: a key derived for sealing is no key for anything else.
KEY_PURPOSE = b"cheeseshop.sealing"

NOT_SEALED = _("the value is not sealed")
UNKNOWN_KEY = _(
    "the value was sealed under a secret key that is neither SECRET_KEY nor one of "
    "SECRET_KEY_FALLBACKS"
)

# What a system check refusing the start says to do when stored values do not open.
WAY_OUT = (
    "Put the secret key they were sealed under into CHEESESHOP_SECRET_KEY_FALLBACKS "
    "(comma-separated), start again, then run `cheeseshop reseal` to seal everything under the "
    'current key (docs/configuration.md, "Rotating the secret key").'
)


class Unsealable(Invalid):
    """A stored value that cannot be opened; ``message`` says why."""


def _derived_key(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(urlsafe_b64encode(key))


@lru_cache(maxsize=4)
def _keys_for(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_derived_key(key) for key in (secret_key, *fallbacks)])


def _keys() -> MultiFernet:
    """The current key first (it seals), then the fallbacks' (they only open)."""
    return _keys_for(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def _as_bytes(value: bytes | str) -> bytes:
    """What the database hands back: text, bytes or a memoryview."""
    return value.encode() if isinstance(value, str) else bytes(value)


def is_sealed(value: bytes | str) -> bool:
    return _as_bytes(value).startswith(PREFIX)


def seal(data: bytes) -> bytes:
    return PREFIX + _keys().encrypt(bytes(data))


def _fernet_token(sealed: bytes | str) -> bytes:
    data = _as_bytes(sealed)
    if not data.startswith(PREFIX):
        raise Unsealable(str(NOT_SEALED))
    return data.removeprefix(PREFIX)


def unseal(sealed: bytes | str) -> bytes:
    try:
        return _keys().decrypt(_fernet_token(sealed))
    except InvalidToken:
        raise Unsealable(str(UNKNOWN_KEY)) from None


def reseal(sealed: bytes | str) -> bytes:
    """The same value sealed under the current SECRET_KEY (after a rotation)."""
    try:
        return PREFIX + _keys().rotate(_fernet_token(sealed))
    except InvalidToken:
        raise Unsealable(str(UNKNOWN_KEY)) from None


def opens(sealed: bytes | str) -> bool:
    """Whether ``sealed`` is sealed and opens with the keys this index holds."""
    try:
        unseal(sealed)
    except Unsealable:
        return False
    return True


def seal_text(text: str) -> str:
    return seal(text.encode()).decode("ascii")


def unseal_text(sealed: str) -> str:
    return unseal(sealed).decode()


def reseal_text(sealed: str) -> str:
    return reseal(sealed).decode("ascii")


def unopenable_errors(
    databases, *, table: str, count: Callable[[str], int], message: str, check_id: str
) -> list[checks.Error]:
    """A system check's errors: for each database whose ``table`` holds values no configured
    key opens (``count(alias)`` of them), one error with the way out. A database without the
    table yet (a new one, before ``migrate``) holds nothing to open."""
    errors = []
    for alias in databases or ():
        if table not in connections[alias].introspection.table_names():
            continue
        unopenable = count(alias)
        if unopenable:
            errors.append(
                checks.Error(message.format(count=unopenable), hint=WAY_OUT, id=check_id)
            )
    return errors
