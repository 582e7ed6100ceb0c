from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cheeseshop.accounts"
    label = "accounts"
    # Translators: the admin section of user accounts.
    verbose_name = _("Users")

    def ready(self):
        # Importing connects the audit receivers (@receiver with dispatch_uid: once only).
        from cheeseshop.accounts import (  # noqa: F401
            checks,
            project_notices,
            receivers,
            two_factor_receivers,
        )

        project_notices.connect()


class CheeseshopAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, serving cheeseshop's admin site (the site's login, second factor
    proved in the session: ``cheeseshop.accounts.admin_site``)."""

    default = False  # this module's default app is the accounts app
    default_site = "cheeseshop.accounts.admin_site.AdminSite"
