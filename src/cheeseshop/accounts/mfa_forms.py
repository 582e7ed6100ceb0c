"""allauth's two-factor forms with cheeseshop's rules (settings.MFA_FORMS points here):

- failed second-factor attempts are limited per account and per client address
  (CHEESESHOP_2FA_USER_LIMIT, CHEESESHOP_2FA_IP_LIMIT); once a limit is reached even a right
  code is refused, with a 429 page saying how long to wait;
- a TOTP code is accepted once (``cheeseshop.accounts.totp``), the activation code included;
- a recovery code is accepted once (allauth marks it used under a row lock).
"""

from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base import forms as base_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cheeseshop import sealing
from cheeseshop.accounts import ratelimits, responses, totp

TWO_FACTOR_LOCKED = gettext_noop(
    "Too many failed two-factor authentication attempts. Try again in %(wait)s."
)
# Set on the request by the activation form, read by the receiver that sees the new
# authenticator: the activation code's step is used up too.
ACTIVATION_STEP_ATTRIBUTE = "cheeseshop_totp_activation_step"


def _limit_keys(request, user) -> list[tuple[str, str]]:
    return [("two_factor_user", f"user:{user.pk}"), ("two_factor_ip", ratelimits.ip_key(request))]


def refuse_if_locked(request, user) -> None:
    """Answer 429 (with the wait) when ``user`` or this address failed too often lately."""
    wait = max(ratelimits.reset_in(name, key) for name, key in _limit_keys(request, user))
    if wait:
        raise ImmediateHttpResponse(
            responses.locked_out(request, _(TWO_FACTOR_LOCKED), wait_seconds=wait)
        )


def count_failure(request, user) -> None:
    for name, key in _limit_keys(request, user):
        ratelimits.hit(name, key)


class _CodeFormMixin:
    """Checks a typed code (TOTP or recovery code) against the user's authenticators."""

    def clean_code(self) -> str:
        request = context.request
        refuse_if_locked(request, self.user)
        code = self.cleaned_data["code"].strip()
        try:
            return self._checked_code(request, code)
        except sealing.Unsealable:
            # Sealed under a secret key this index no longer holds (the adapter logged it):
            # no code can be checked, which is no fault of the user's.
            raise ValidationError(responses.UNREADABLE_SECRETS, code="unsealable") from None

    def _checked_code(self, request, code: str) -> str:
        authenticators = list(
            Authenticator.objects.filter(user=self.user).exclude(type=Authenticator.Type.WEBAUTHN)
        )
        totp_authenticator = next(
            (a for a in authenticators if a.type == Authenticator.Type.TOTP), None
        )
        if totp_authenticator is not None:
            step = totp.code_step(totp_authenticator, code)
            if step is not None:
                if totp.claim_step(totp_authenticator, step):
                    return self._accepted(totp_authenticator, code)
                self._failed(totp_authenticator)
                raise ValidationError(
                    _(
                        "This code was already used. Wait for your authenticator app to show "
                        "a new code, then enter that one."
                    ),
                    code="replayed_code",
                )
        for authenticator in authenticators:
            is_recovery_codes = authenticator.type == Authenticator.Type.RECOVERY_CODES
            if is_recovery_codes and authenticator.wrap().validate_code(code):
                return self._accepted(authenticator, code)
        main = totp_authenticator or next(iter(authenticators), None)
        if main is not None:
            self._failed(main)
        else:
            count_failure(request, self.user)
        raise get_adapter().validation_error("incorrect_code")

    def _accepted(self, authenticator: Authenticator, code: str) -> str:
        authenticator.user = self.user
        self.authenticator = authenticator
        return code

    def _failed(self, authenticator: Authenticator) -> None:
        count_failure(context.request, self.user)
        self._emit_authentication_failed(authenticator)


class AuthenticateForm(_CodeFormMixin, base_forms.AuthenticateForm):
    """The second step of a login: a TOTP code or a recovery code."""


class ReauthenticateForm(_CodeFormMixin, base_forms.ReauthenticateForm):
    """Confirming who one is again (before adding or removing a method) with a code."""


class _WebAuthnLimitMixin:
    """A security key's answer, refused while the attempt limits are reached, failures counted."""

    def clean_credential(self):
        request = context.request
        refuse_if_locked(request, self.user)
        try:
            return super().clean_credential()
        except ValidationError:
            count_failure(request, self.user)
            raise


class AuthenticateWebAuthnForm(_WebAuthnLimitMixin, webauthn_forms.AuthenticateWebAuthnForm):
    pass


class ReauthenticateWebAuthnForm(_WebAuthnLimitMixin, webauthn_forms.ReauthenticateWebAuthnForm):
    pass


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    """Enrolling an authenticator app: the confirming code counts as used."""

    def clean_code(self) -> str:
        from allauth.mfa.internal.flows.add import validate_can_add_authenticator

        request = context.request
        validate_can_add_authenticator(self.user)
        refuse_if_locked(request, self.user)
        code = self.cleaned_data["code"].strip()
        step = totp.matching_step(self.secret, code)
        if step is None:
            count_failure(request, self.user)
            raise get_adapter().validation_error("incorrect_code")
        setattr(request, ACTIVATION_STEP_ATTRIBUTE, step)
        return code
