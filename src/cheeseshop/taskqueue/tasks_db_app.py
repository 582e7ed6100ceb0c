"""django-tasks-db's app under a name the admin shows in the reader's language (its own is
"Tasks Database Backend", a plain string); registered in ``INSTALLED_APPS`` in its place."""

from django.utils.translation import gettext_lazy as _
from django_tasks_db import apps


class TasksDatabaseConfig(apps.TasksAppConfig):
    # Translators: the admin section listing background tasks and their results.
    verbose_name = _("Background tasks")
