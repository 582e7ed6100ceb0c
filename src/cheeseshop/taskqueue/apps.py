from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaskQueueConfig(AppConfig):
    name = "cheeseshop.taskqueue"
    label = "taskqueue"
    verbose_name = _("Task queue")

    def ready(self):
        from cheeseshop import health
        from cheeseshop.taskqueue import probes

        health.register_probe("queue", probes.queue_problem)
