"""The accounts service: how other apps create users and ask about them."""

from allauth.account.models import EmailAddress
from django.db import transaction

from cheeseshop.accounts.models import User


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


@transaction.atomic
def create_user(
    username: str, email: str, *, password: str | None = None, admin: bool = False
) -> User:
    """Create a user whose primary email an operator vouches for (so it is verified)."""
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"A user named '{username}' already exists.")
    if EmailAddress.objects.filter(email__iexact=email).exists():
        raise AccountError(f"The email address '{email}' is already in use.")
    user = User(username=username, email=email, is_staff=admin, is_superuser=admin)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def has_verified_primary_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, primary=True, verified=True).exists()


def has_two_factor(user: User) -> bool:
    """Whether the user has a second factor enrolled.

    Two-factor authentication arrives with allauth's ``mfa`` app; until it is installed no user
    can have it, and the upload policy (``CHEESESHOP_UPLOAD_REQUIRES_2FA``) is not enforced.
    """
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        return False
    from allauth.mfa.models import Authenticator

    return (
        Authenticator.objects.filter(user=user)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )


def two_factor_enforced() -> bool:
    from django.apps import apps
    from django.conf import settings

    return settings.CHEESESHOP_UPLOAD_REQUIRES_2FA and apps.is_installed("allauth.mfa")
