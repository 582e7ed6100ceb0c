"""What a session's logins tell: how the user proved who they are, whether it came from a device
they had not logged in from before, and whether they did so recently enough for a sensitive
change."""

import time

from allauth.account import app_settings as allauth_account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import client_ip, hash_ip

# allauth's authenticator types, as named in a login method.
_SECOND_FACTOR_NAMES = {
    "totp": "totp",
    "webauthn": "webauthn",
    "recovery_codes": "recovery_code",
}


def method_from_records(records: list[dict]) -> str:
    """ "password", "password+totp", "password+webauthn", "password+recovery_code", "passkey",
    or "unknown", from allauth's records of the session's authentication steps."""
    steps = [record for record in records if not record.get("reauthenticated")]
    second = next((r for r in reversed(steps) if r.get("method") == "mfa"), None)
    if second is not None and second.get("passwordless"):
        return "passkey"
    if not any(record.get("method") == "password" for record in steps):
        return "unknown"
    if second is None:
        return "password"
    return "password+" + _SECOND_FACTOR_NAMES.get(second.get("type"), str(second.get("type")))


def login_method(request: HttpRequest, user) -> str:
    return method_from_records(get_authentication_records(request, user))


def is_new_device(request: HttpRequest, user) -> bool:
    """Whether ``user`` logged in before, but never from this address with this browser.

    Call before the login's own event is recorded. The first login of an account is not "new":
    there is no other device to tell apart from.
    """
    logins = Event.objects.filter(user=user, tag=EventTag.ACCOUNT_LOGIN_SUCCESS)
    if not logins.exists():
        return False
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    seen = logins.filter(ip_hash=hash_ip(client_ip(request)), user_agent=user_agent)
    return not seen.exists()


def authenticated_recently(request: HttpRequest) -> bool:
    """Whether the session's latest login or re-authentication is younger than allauth's
    ``ACCOUNT_REAUTHENTICATION_TIMEOUT``.

    allauth's own check counts only a password typed again on its re-authentication page; a
    login within the same time is as recent, so it is not asked for again. A session without a
    recorded authentication (one not opened by allauth's login) is never recent.
    """
    records = get_authentication_records(request, request.user)
    latest = max((record.get("at", 0) for record in records), default=0)
    return time.time() - latest < allauth_account_settings.REAUTHENTICATION_TIMEOUT


def _authenticated_long_ago(request: HttpRequest) -> bool:
    return not authenticated_recently(request)


# For pages that change credentials: a session whose last login or re-authentication is too old
# is sent to allauth's re-authentication page first, and comes back to the page afterwards.
recent_authentication_required = reauthentication_required(enabled=_authenticated_long_ago)
