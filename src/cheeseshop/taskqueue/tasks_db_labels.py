"""django-tasks' and django-tasks-db's admin labels, for our catalogue.

Both mark these messages for translation but ship no catalogue, so the admin showed them in
English in every language. Listed here, ``makemessages`` puts them in our catalogue, which
Django reads first (``LOCALE_PATHS``); nothing imports this module.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

# django_tasks_db.models.DBTaskResult: the model and its fields.
MODEL_AND_FIELDS = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
)

# django_tasks.base.TaskResultStatus: a task's state (lazy: never evaluated here).
STATUSES = (
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)
