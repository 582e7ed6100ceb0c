"""Audit events, notices and messages for two-factor authentication, from allauth's signals.

Connected in AccountsConfig.ready(). allauth sends ``authenticator_added``/``_removed``/``_reset``
after the change is committed, and ``authenticator_used``/``authentication_failed`` while the
user proves who they are; ``authentication_step_completed`` marks each step, re-authentication
included.
"""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cheeseshop.accounts import notices, totp, two_factor
from cheeseshop.accounts.mfa_forms import ACTIVATION_STEP_ATTRIBUTE
from cheeseshop.accounts.services import has_two_factor
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import SESSION, Credential, record_event


def _own_event(tag, request, user, credential=SESSION, **additional) -> None:
    record_event(
        tag, request=request, actor=user, credential=credential, user=user, additional=additional
    )


def _recovery_code_count() -> int:
    from allauth.mfa import app_settings

    return app_settings.RECOVERY_CODE_COUNT


def _codes_generated(request, user, *, automatic: bool) -> None:
    count = _recovery_code_count()
    _own_event(
        EventTag.ACCOUNT_RECOVERY_CODES_GENERATED, request, user, count=count, automatic=automatic
    )
    notices.send_notice(
        notices.RECOVERY_CODES_GENERATED, user, request=request, context={"count": count}
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="cheeseshop.accounts.2fa_added")
def on_method_added(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        # Generated with the first method, as part of adding it.
        _codes_generated(request, user, automatic=True)
        return
    step = getattr(request, ACTIVATION_STEP_ATTRIBUTE, None)
    if authenticator.type == Authenticator.Type.TOTP and step is not None:
        totp.claim_step(authenticator, step)  # the code that confirmed the app is used up
    _own_event(
        EventTag.ACCOUNT_TWO_FACTOR_METHOD_ADDED,
        request,
        user,
        **two_factor.method_record(authenticator),
    )
    notices.send_notice(
        notices.METHOD_ADDED,
        user,
        request=request,
        context={"method": two_factor.method_label(authenticator)},
    )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="cheeseshop.accounts.2fa_removed")
def on_method_removed(sender, request, user, authenticator, **kwargs):
    _own_event(
        EventTag.ACCOUNT_TWO_FACTOR_METHOD_REMOVED,
        request,
        user,
        **two_factor.method_record(authenticator),
    )
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return  # removed with the last method, whose own notice says so
    notices.send_notice(
        notices.METHOD_REMOVED,
        user,
        request=request,
        context={
            "method": two_factor.method_label(authenticator),
            "has_two_factor": has_two_factor(user),
            "policy_applies": settings.CHEESESHOP_UPLOAD_REQUIRES_2FA
            or settings.CHEESESHOP_MANAGE_REQUIRES_2FA,
        },
    )


@receiver(mfa_signals.authenticator_reset, dispatch_uid="cheeseshop.accounts.2fa_reset")
def on_recovery_codes_regenerated(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        _codes_generated(request, user, automatic=False)


def _tell_remaining_codes(request, remaining: int) -> None:
    text = ngettext(
        "You used a recovery code; %(count)d unused code remains.",
        "You used a recovery code; %(count)d unused codes remain.",
        remaining,
    ) % {"count": remaining}
    if remaining > two_factor.FEW_RECOVERY_CODES:
        messages.info(request, text)
        return
    messages.warning(
        request,
        text
        + " "
        + _(
            "Generate new recovery codes now, in your two-factor authentication settings, "
            "before you run out."
        ),
    )


@receiver(mfa_signals.authenticator_used, dispatch_uid="cheeseshop.accounts.2fa_used")
def on_method_used(sender, request, user, authenticator, **kwargs):
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        return
    remaining = two_factor.unused_recovery_codes(user) or 0  # counted after this use
    _own_event(
        EventTag.ACCOUNT_RECOVERY_CODES_USED,
        request,
        user,
        Credential("recovery_code"),
        remaining=remaining,
        reauthentication=bool(kwargs.get("reauthenticated")),
    )
    notices.send_notice(
        notices.RECOVERY_CODE_USED,
        user,
        request=request,
        context={
            "remaining": remaining,
            "few_left": remaining <= two_factor.FEW_RECOVERY_CODES,
        },
    )
    if request is not None:
        _tell_remaining_codes(request, remaining)


@receiver(mfa_signals.authentication_failed, dispatch_uid="cheeseshop.accounts.2fa_failed")
def on_second_factor_failed(sender, request, user, authenticator, **kwargs):
    # The password was right (or the user is logged in and re-authenticating); the code not.
    record_event(
        EventTag.ACCOUNT_LOGIN_FAILURE,
        request=request,
        credential=Credential(authenticator.type),
        user=user,
        additional={
            "reason": "invalid_second_factor",
            "reauthentication": bool(kwargs.get("reauthentication")),
        },
    )


@receiver(
    account_signals.authentication_step_completed,
    dispatch_uid="cheeseshop.accounts.reauthenticated",
)
def on_reauthenticated(sender, request, user, method, **kwargs):
    if not kwargs.get("reauthenticated"):
        return
    proof = kwargs.get("type") or method  # "password", or the authenticator type
    _own_event(EventTag.ACCOUNT_REAUTHENTICATE, request, user, Credential(proof))
