"""How allauth's two-factor app names things in cheeseshop (settings.MFA_ADAPTER points here).

The notices about two-factor changes are not sent from here: allauth sends its own through the
account adapter only when ACCOUNT_EMAIL_NOTIFICATIONS is on, and cheeseshop sends its notices
from signal receivers (``cheeseshop.accounts.two_factor_receivers``) whatever that says.
"""

from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user) -> str:
        # The name people log in with; an email address can change, the username cannot.
        return user.username

    def _get_site_name(self) -> str:
        # The name shown by authenticator apps (TOTP issuer) and by browsers when asking for a
        # security key (WebAuthn relying party name); the host name otherwise.
        return settings.SITE_NAME
