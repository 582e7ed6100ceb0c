"""The accounts service: how other apps create users and ask about them."""

from allauth.account.models import EmailAddress
from django.db import transaction

from cheeseshop.accounts.models import User
from cheeseshop.errors import Conflict


class AccountError(Conflict):
    """A request about accounts that cannot be carried out; the message says why."""


@transaction.atomic
def create_user(
    username: str,
    email: str,
    *,
    password: str | None = None,
    admin: bool = False,
    trusted_uploader: bool = False,
) -> User:
    """Create a user whose primary email an operator vouches for (so it is verified), and
    whose uploads too when ``trusted_uploader`` (no limit on new projects per hour)."""
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"A user named '{username}' already exists.")
    if EmailAddress.objects.filter(email__iexact=email).exists():
        raise AccountError(f"The email address '{email}' is already in use.")
    user = User(
        username=username,
        email=email,
        is_staff=admin,
        is_superuser=admin,
        is_trusted_uploader=trusted_uploader,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def has_two_factor(user: User) -> bool:
    """Whether the user has a second factor enrolled (recovery codes alone do not count)."""
    from allauth.mfa.models import Authenticator

    return (
        Authenticator.objects.filter(user=user)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )


def two_factor_enforced() -> bool:
    """Whether uploads need the token owner to have a second factor."""
    from django.conf import settings

    return settings.CHEESESHOP_UPLOAD_REQUIRES_2FA


def enrol_totp(user: User) -> tuple[str, str]:
    """Give ``user`` an authenticator app without the web pages (operators, scripts, tests).

    Returns (otpauth URI, secret); the recovery codes come with it, as on the web.
    """
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise AccountError(f"User '{user.username}' already has an authenticator app.")
    secret = generate_totp_secret()
    with transaction.atomic():
        TOTP.activate(user, secret)
        RecoveryCodes.activate(user)
    return get_adapter().build_totp_url(user, secret), secret


@transaction.atomic
def reset_two_factor(user: User, *, actor: User, reason: str, request=None) -> list[dict]:
    """Remove every two-factor method and recovery code of ``user``, after an administrator
    checked who is asking; records admin:user:reset_two_factor with ``reason`` and tells the
    user by email. Returns what was removed (type, and a security key's label)."""
    from allauth.mfa.models import Authenticator

    from cheeseshop.accounts import notices
    from cheeseshop.accounts.two_factor import method_record
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import ADMIN, record_event

    authenticators = list(Authenticator.objects.select_for_update().filter(user=user))
    removed = [method_record(authenticator) for authenticator in authenticators]
    Authenticator.objects.filter(pk__in=[a.pk for a in authenticators]).delete()
    record_event(
        EventTag.ADMIN_USER_RESET_TWO_FACTOR,
        request=request,
        actor=actor,
        credential=ADMIN,
        user=user,
        additional={"reason": reason, "removed": removed},
    )
    transaction.on_commit(
        lambda: notices.send_notice(notices.TWO_FACTOR_RESET, user, request=request)
    )
    return removed


@transaction.atomic
def set_trusted_uploader(
    user: User, trusted: bool, *, actor=None, credential, request=None
) -> bool:
    """Make ``user`` a trusted uploader (no limit on new projects per hour) or an ordinary one
    again, recording it (admin:user:trusted_uploader:add/remove). Returns whether it changed;
    ``credential``: how the operator acted (the admin site, the command line)."""
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import record_event

    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_trusted_uploader == trusted:
        return False
    locked.is_trusted_uploader = trusted
    locked.save(update_fields=["is_trusted_uploader"])
    user.is_trusted_uploader = trusted
    tag = EventTag.ADMIN_USER_TRUST_UPLOADS if trusted else EventTag.ADMIN_USER_UNTRUST_UPLOADS
    record_event(tag, request=request, actor=actor, credential=credential, user=locked)
    return True
