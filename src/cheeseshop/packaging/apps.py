from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PackagingConfig(AppConfig):
    name = "cheeseshop.packaging"
    label = "packaging"
    verbose_name = _("Packaging")

    def ready(self):
        from cheeseshop import health
        from cheeseshop.audit import history
        from cheeseshop.packaging.models import role_label
        from cheeseshop.packaging.storage import storage_problem

        # Distribution files are this app's: whether they can be stored is its probe.
        health.register_probe("storage", storage_problem)

        # Events about collaborators store role names: histories show them translated.
        history.read_detail_with("role_name", role_label)
        history.read_detail_with("previous_role_name", role_label)
