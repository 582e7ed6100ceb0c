"""Moving-window rate limits for the account flows, counted by the `limits` library.

A limit has a name ("login", "signup", "password_reset", "email_verify", "two_factor_user",
"two_factor_ip") whose "N per window" is read from settings on every call, so an operator's
setting (or a test's override) applies at once; the counters live in
CHEESESHOP_RATELIMIT_STORAGE: the database (database://, the default) or Redis, both shared by
every server process; memory:// counts per process and is for tests only.
A key says whose attempts are counted: "ip:<hash>", "user:<id>", "email:<address>" ...
"""

import math
import time
from functools import cache

from django.conf import settings
from django.utils.translation import ngettext
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

# Registers the database:// storage with `limits`.
from cheeseshop.accounts import ratelimit_storage  # noqa: F401
from cheeseshop.audit.services import client_ip, hash_ip

LIMIT_SETTINGS = {
    "login": "CHEESESHOP_LOGIN_LIMIT",
    "signup": "CHEESESHOP_SIGNUP_LIMIT",
    "password_reset": "CHEESESHOP_PASSWORD_RESET_LIMIT",
    "email_verify": "CHEESESHOP_EMAIL_VERIFY_LIMIT",
    # Failed second-factor codes (login and re-authentication), per account and per address.
    "two_factor_user": "CHEESESHOP_2FA_USER_LIMIT",
    "two_factor_ip": "CHEESESHOP_2FA_IP_LIMIT",
}
_NAMESPACE = "cheeseshop.accounts"


@cache
def _limiter_on(storage_url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_url))


def _limiter() -> MovingWindowRateLimiter:
    return _limiter_on(settings.CHEESESHOP_RATELIMIT_STORAGE)


@cache
def _parse(rule: str) -> RateLimitItem:
    return parse(rule)


def _item(name: str) -> RateLimitItem:
    # An unknown name is a programming error: KeyError, not a silent "no limit".
    return _parse(getattr(settings, LIMIT_SETTINGS[name]))


def hit(name: str, key: str) -> bool:
    """Count one attempt. False when the limit was already reached (nothing is counted then)."""
    return _limiter().hit(_item(name), _NAMESPACE, name, key)


def test(name: str, key: str) -> bool:
    """Whether one more attempt would be allowed, without counting one."""
    return _limiter().test(_item(name), _NAMESPACE, name, key)


def reset_in(name: str, key: str) -> int:
    """Seconds until one more attempt is allowed again; 0 when it is allowed now."""
    if test(name, key):
        return 0
    stats = _limiter().get_window_stats(_item(name), _NAMESPACE, name, key)
    return max(1, math.ceil(stats.reset_time - time.time()))


def clear(name: str, key: str) -> None:
    _limiter().clear(_item(name), _NAMESPACE, name, key)


def reset_all() -> None:
    """Forget every counter of the configured storage (tests, or an operator's reset)."""
    _limiter().storage.reset()


def ip_key(request) -> str:
    """The key counting attempts from one client address (hashed, as in the audit log)."""
    return f"ip:{hash_ip(client_ip(request))}"


def describe_wait(seconds: int) -> str:
    """A wait as a person reads it: "45 seconds", "4 minutes", "3 hours" (rounded up)."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
