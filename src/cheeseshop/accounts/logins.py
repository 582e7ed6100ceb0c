"""What a completed login is recorded with: how the user proved who they are, and whether it
came from a device they had not logged in from before."""

from allauth.account.internal.flows.login import get_authentication_records
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
