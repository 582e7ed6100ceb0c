"""Tasks in the admin: django-tasks-db's results page (database backend), with each task's
attempts and last error in the list, so failures are seen without opening each one. RQ's failed
jobs are on django-rq's page ("Django-RQ"), which it adds to the admin when RQ is configured."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from cheeseshop.taskqueue import retries


class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        *(name if name != "task_name" else "task" for name in DBTaskResultAdmin.list_display),
        "attempts",
        "error",
    )

    # django-tasks-db's own columns with labels in the reader's language (its labels are plain
    # strings; its field names are in our catalogue: cheeseshop.taskqueue.tasks_db_labels).
    @admin.display(description=_("task"))
    def task(self, obj: DBTaskResult) -> str:
        return obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj: DBTaskResult):
        return super().display_run_after(obj)

    @admin.display(description=_("attempts"))
    def attempts(self, obj: DBTaskResult) -> int:
        return len(obj.worker_ids)

    @admin.display(description=_("last error"))
    def error(self, obj: DBTaskResult) -> str:
        if not obj.traceback:
            return ""
        return retries.summary(obj.traceback.strip().splitlines()[-1])


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
