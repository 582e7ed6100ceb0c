"""Audit events for everything that happens to an account, from allauth's and Django's signals.

Connected in AccountsConfig.ready(). Each event says who acted (``actor``), which account it is
about (``user``) and how the actor proved who they are (``credential``).
"""

from allauth.account import signals as allauth_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from cheeseshop.accounts import logins, notices
from cheeseshop.accounts.identity import login_identifier, user_for_login
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import SESSION, Credential, record_event

PASSWORD = Credential("password")  # typed the account's password
EMAIL_LINK = Credential("email_link")  # followed a link only the address's owner received
SIGNUP = Credential("signup")  # created the account; nothing to prove yet


def _record_own_account_event(tag, request, user, credential, *, additional=None) -> None:
    """Record an event the account's owner caused on their own account."""
    record_event(
        tag,
        request=request,
        actor=user,
        credential=credential,
        user=user,
        additional=additional,
    )


@receiver(allauth_signals.user_signed_up, dispatch_uid="cheeseshop.accounts.signed_up")
def record_signup(sender, request, user, **kwargs):
    _record_own_account_event(
        EventTag.ACCOUNT_CREATE, request, user, SIGNUP, additional={"email": user.email}
    )


@receiver(auth_signals.user_logged_in, dispatch_uid="cheeseshop.accounts.logged_in")
def record_login(sender, request, user, **kwargs):
    # The credential says how: "password", "password+totp", "password+webauthn",
    # "password+recovery_code" or "passkey".
    if request is None:
        _record_own_account_event(EventTag.ACCOUNT_LOGIN_SUCCESS, request, user, PASSWORD)
        return
    method = logins.login_method(request, user)
    new_device = logins.is_new_device(request, user)
    _record_own_account_event(EventTag.ACCOUNT_LOGIN_SUCCESS, request, user, Credential(method))
    if new_device:
        notices.send_notice(
            notices.NEW_DEVICE_LOGIN, user, request=request, context={"method": method}
        )


@receiver(auth_signals.user_login_failed, dispatch_uid="cheeseshop.accounts.login_failed")
def record_login_failure(sender, credentials, request=None, **kwargs):
    # Nobody proved who they are: no actor. The account is named when the login names one, so
    # its owner sees attempts on it; what was typed is not kept (people type passwords there).
    record_event(
        EventTag.ACCOUNT_LOGIN_FAILURE,
        request=request,
        credential=PASSWORD,
        user=user_for_login(login_identifier(credentials)),
        additional={"reason": "invalid_credentials"},
    )


@receiver(auth_signals.user_logged_out, dispatch_uid="cheeseshop.accounts.logged_out")
def record_logout(sender, request, user, **kwargs):
    if user is None:  # logging out a session that was not logged in
        return
    _record_own_account_event(EventTag.ACCOUNT_LOGOUT, request, user, SESSION)


@receiver(allauth_signals.password_changed, dispatch_uid="cheeseshop.accounts.password_changed")
@receiver(allauth_signals.password_set, dispatch_uid="cheeseshop.accounts.password_set")
def record_password_change(sender, request, user, **kwargs):
    _record_own_account_event(EventTag.ACCOUNT_PASSWORD_CHANGE, request, user, SESSION)


@receiver(allauth_signals.password_reset, dispatch_uid="cheeseshop.accounts.password_reset")
def record_password_reset(sender, request, user, **kwargs):
    _record_own_account_event(EventTag.ACCOUNT_PASSWORD_RESET, request, user, EMAIL_LINK)


@receiver(allauth_signals.email_added, dispatch_uid="cheeseshop.accounts.email_added")
def record_email_added(sender, request, user, email_address, **kwargs):
    _record_own_account_event(
        EventTag.ACCOUNT_EMAIL_ADD,
        request,
        user,
        SESSION,
        additional={"email": email_address.email},
    )


@receiver(allauth_signals.email_removed, dispatch_uid="cheeseshop.accounts.email_removed")
def record_email_removed(sender, request, user, email_address, **kwargs):
    _record_own_account_event(
        EventTag.ACCOUNT_EMAIL_REMOVE,
        request,
        user,
        SESSION,
        additional={"email": email_address.email},
    )


@receiver(allauth_signals.email_confirmed, dispatch_uid="cheeseshop.accounts.email_confirmed")
def record_email_verified(sender, request, email_address, **kwargs):
    _record_own_account_event(
        EventTag.ACCOUNT_EMAIL_VERIFIED,
        request,
        email_address.user,
        EMAIL_LINK,
        additional={"email": email_address.email},
    )


@receiver(allauth_signals.email_changed, dispatch_uid="cheeseshop.accounts.email_changed")
def record_primary_email_change(
    sender, request, user, from_email_address, to_email_address, **kwargs
):
    _record_own_account_event(
        EventTag.ACCOUNT_EMAIL_PRIMARY_CHANGE,
        request,
        user,
        SESSION,
        additional={
            "from": from_email_address.email if from_email_address else None,
            "to": to_email_address.email,
        },
    )
