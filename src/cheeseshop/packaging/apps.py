from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PackagingConfig(AppConfig):
    name = "cheeseshop.packaging"
    label = "packaging"
    verbose_name = _("Packaging")
