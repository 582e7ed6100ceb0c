from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "cheeseshop.operations"
    label = "operations"
    verbose_name = _("Operations")

    def ready(self):
        from cheeseshop import health
        from cheeseshop.operations import metrics, probes
        from cheeseshop.upload.signals import upload_answered

        health.register_probe("database", probes.database_problem)
        health.register_probe("cache", probes.cache_problem)
        upload_answered.connect(metrics.count_upload, dispatch_uid="operations.count_upload")
