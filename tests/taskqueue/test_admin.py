"""Failed tasks in the admin: listed with their attempts and last error, the traceback on their
page."""

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.admin.conftest import staff, staff_client  # noqa: F401
from tests.taskqueue import sample_tasks

pytestmark = pytest.mark.django_db

TASK_RESULTS = "/admin/django_tasks_database/dbtaskresult/"


def test_a_failed_task_shows_its_attempts_and_error_in_the_admin(staff_client, settings):  # noqa: F811
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = sample_tasks.fail.enqueue("marker")
    traceback = (
        'Traceback (most recent call last):\n  File "x.py", line 1, in fail\n'
        "RuntimeError: the sample task fails every time\n"
    )
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.FAILED,
        worker_ids=["w1", "w2", "w3"],
        exception_class_path="builtins.RuntimeError",
        traceback=traceback,
    )

    listing = staff_client.get(f"{TASK_RESULTS}?status__exact=FAILED")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "RuntimeError: the sample task fails every time" in page
    assert '<td class="field-attempts">3</td>' in page
    detail = staff_client.get(f"{TASK_RESULTS}{result.id}/change/")
    assert detail.status_code == 200
    assert "File &quot;x.py&quot;, line 1, in fail" in detail.content.decode()
