"""How allauth's two-factor app names things in cheeseshop (settings.MFA_ADAPTER points here),
and how it stores its secrets: sealed (``cheeseshop.sealing``), so that a copy of the database
gives no TOTP secret and no recovery-code seed.

The notices about two-factor changes are not sent from here: allauth sends its own through the
account adapter only when ACCOUNT_EMAIL_NOTIFICATIONS is on, and cheeseshop sends its notices
from signal receivers (``cheeseshop.accounts.two_factor_receivers``) whatever that says.
"""

import logging

from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from cheeseshop import sealing

logger = logging.getLogger(__name__)


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user) -> str:
        # The name people log in with; an email address can change, the username cannot.
        return user.username

    def _get_site_name(self) -> str:
        # The name shown by authenticator apps (TOTP issuer) and by browsers when asking for a
        # security key (WebAuthn relying party name); the host name otherwise.
        return settings.SITE_NAME

    def encrypt(self, text: str) -> str:
        return sealing.seal_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        """The secret, or ``sealing.Unsealable`` (logged: the operator has a key to restore)."""
        try:
            return sealing.unseal_text(encrypted_text)
        except sealing.Unsealable as exc:
            logger.error("a stored two-factor secret cannot be opened: %s", exc.message)
            raise
