"""The two-factor policy: what needs a second factor, what a refusal says, and how a login with
one is described.

Two settings turn the policy on (both on by default):
``CHEESESHOP_UPLOAD_REQUIRES_2FA`` (uploads: the token's owner needs a second factor) and
``CHEESESHOP_MANAGE_REQUIRES_2FA`` (the pages under /manage/, API token pages included).
A second factor is a TOTP authenticator app or a WebAuthn security key/passkey; recovery codes
only stand in for one.
"""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from cheeseshop.accounts.models import User
from cheeseshop.accounts.services import has_two_factor
from cheeseshop.site import absolute_url

# With this many unused recovery codes left (or fewer), the user is told to make new ones.
FEW_RECOVERY_CODES = 3


def setup_path() -> str:
    """Where a user enrols a second factor: /account/2fa/."""
    return reverse("mfa_index")


def manage_requires_two_factor(user: User) -> bool:
    """Whether ``user`` must enrol a second factor before using the management pages."""
    return settings.CHEESESHOP_MANAGE_REQUIRES_2FA and not has_two_factor(user)


def upload_refusal_message(user: User, request: HttpRequest | None = None) -> str:
    """Why an upload by ``user``'s token is refused, and exactly what to do about it."""
    where = absolute_url(setup_path())
    return _(
        "User '%(user)s', associated with the API token used, does not have two-factor "
        "authentication enabled. Enable two-factor authentication at %(url)s and try again."
    ) % {"user": user.username, "url": where}


def unused_recovery_codes(user: User) -> int | None:
    """How many of ``user``'s recovery codes are still unused; None when they have none."""
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    if authenticator is None:
        return None
    return len(authenticator.wrap().get_unused_codes())


def method_label(authenticator) -> str:
    """How a two-factor method is named to its owner: "authenticator app", a key's label..."""
    from allauth.mfa.models import Authenticator

    if authenticator.type == Authenticator.Type.TOTP:
        return _("authenticator app")
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return _("recovery codes")
    name = authenticator.wrap().name
    if authenticator.wrap().is_passwordless:
        return _("passkey “%(name)s”") % {"name": name}
    return _("security key “%(name)s”") % {"name": name}


def method_record(authenticator) -> dict:
    """What the audit trail keeps about a method: its type, and a security key's label."""
    from allauth.mfa.models import Authenticator

    record = {"type": authenticator.type}
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        record["label"] = authenticator.wrap().name
        record["passkey"] = bool(authenticator.wrap().is_passwordless)
    return record
