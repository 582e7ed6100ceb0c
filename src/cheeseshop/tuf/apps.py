from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TufConfig(AppConfig):
    name = "cheeseshop.tuf"
    label = "tuf"
    verbose_name = _("TUF signing")
