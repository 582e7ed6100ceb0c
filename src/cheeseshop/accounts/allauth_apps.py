"""allauth's apps under the names the admin shows for them, in the reader's language.

allauth calls its accounts app "Accounts", as ours is called: the admin index showed two
sections of one name. Registered in ``INSTALLED_APPS`` in place of allauth's own configs
(Django's documented way to rename a third party's app); labels and names stay allauth's.
"""

from allauth.account import apps as account_apps
from allauth.mfa import apps as mfa_apps
from django.utils.translation import gettext_lazy as _


class AllauthAccountConfig(account_apps.AccountConfig):
    # Translators: the admin section of allauth's email address records.
    verbose_name = _("Email addresses")


class AllauthMFAConfig(mfa_apps.MFAConfig):
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        super().ready()
        from allauth.mfa.models import Authenticator

        # allauth gives its model no verbose name, so the admin read "Authenticators" in every
        # language. Set on the options only, not their original_attrs: migrations never see it.
        Authenticator._meta.verbose_name = _("two-factor method")
        Authenticator._meta.verbose_name_plural = _("two-factor methods")
