"""Template helpers for the two-factor pages: the policy, and what removing a method leaves."""

from allauth.mfa.models import Authenticator
from django import template
from django.conf import settings

from cheeseshop.accounts import two_factor

register = template.Library()


@register.simple_tag
def two_factor_policy() -> dict:
    """Which of the index's actions need a second factor."""
    return {
        "upload": settings.CHEESESHOP_UPLOAD_REQUIRES_2FA,
        "manage": settings.CHEESESHOP_MANAGE_REQUIRES_2FA,
        "any": settings.CHEESESHOP_UPLOAD_REQUIRES_2FA or settings.CHEESESHOP_MANAGE_REQUIRES_2FA,
    }


@register.filter
def is_last_method(authenticator: Authenticator) -> bool:
    """Whether removing ``authenticator`` leaves its owner without a second factor."""
    return not (
        Authenticator.objects.filter(user_id=authenticator.user_id)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exclude(pk=authenticator.pk)
        .exists()
    )


@register.filter
def has_security_keys(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()


@register.simple_tag
def few_recovery_codes() -> int:
    return two_factor.FEW_RECOVERY_CODES
