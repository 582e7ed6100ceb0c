from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cheeseshop.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Importing connects the audit receivers (@receiver with dispatch_uid: once only).
        from cheeseshop.accounts import (  # noqa: F401
            checks,
            project_notices,
            receivers,
            two_factor_receivers,
        )

        project_notices.connect()
