from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensConfig(AppConfig):
    name = "cheeseshop.tokens"
    label = "tokens"
    verbose_name = _("API tokens")

    def ready(self):
        from cheeseshop.tokens import checks  # noqa: F401 (registers the system check)
