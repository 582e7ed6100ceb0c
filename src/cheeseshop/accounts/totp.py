"""TOTP codes that work once: each accepted code's time step is remembered, and a code from that
step or an earlier one is refused afterwards.

allauth remembers used codes in Django's cache, which with the default per-process cache is not
shared between the web server's workers; the last accepted step is kept instead in the
authenticator's own row (``Authenticator.data["last_step"]``), updated under a row lock, so a
code is accepted once whichever process sees it.
"""

import time

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.db import transaction

LAST_STEP_KEY = "last_step"


def now() -> float:
    """The clock codes are checked against (a function, so tests can set it)."""
    return time.time()


def current_step(at: float | None = None) -> int:
    return int(at if at is not None else now()) // app_settings.TOTP_PERIOD


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step, within the accepted window around now, whose code ``code`` is."""
    step = current_step(at)
    tolerance = app_settings.TOTP_TOLERANCE
    for candidate in range(step - tolerance, step + tolerance + 1):
        if compare_user_code(
            actual=code, expected=format_hotp_value(hotp_value(secret, candidate))
        ):
            return candidate
    return None


def code_step(authenticator: Authenticator, code: str) -> int | None:
    """The step of ``code`` for this TOTP authenticator, or None when the code is wrong."""
    return matching_step(decrypt(authenticator.data["secret"]), code)


@transaction.atomic
def claim_step(authenticator: Authenticator, step: int) -> bool:
    """Accept a code of ``step`` once: False when that step (or a later one) was used already."""
    locked = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
    last = locked.data.get(LAST_STEP_KEY)
    if last is not None and step <= last:
        return False
    locked.data[LAST_STEP_KEY] = step
    locked.save(update_fields=["data"])
    authenticator.data = locked.data
    return True
