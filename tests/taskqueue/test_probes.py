"""The queue's readiness probe and the counts the metrics read."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cheeseshop import health
from cheeseshop.taskqueue import probes
from tests.processes import running_redis
from tests.taskqueue import sample_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_backend(settings):
    settings.TASKS_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_queue_probe_is_registered():
    assert "queue" in health.probe_names()


def test_with_the_database_backend_the_probe_reads_the_task_table_and_counts_its_rows(
    database_backend,
):
    assert probes.queue_problem() is None
    assert (probes.queue_depth(), probes.failed_task_count()) == (0, 0)
    assert probes.oldest_ready_age() is None

    for marker in ("a", "b", "c"):
        sample_tasks.nap.enqueue(marker, 0)
    DBTaskResult.objects.filter(args_kwargs__args__0="a").update(status=TaskResultStatus.FAILED)
    DBTaskResult.objects.filter(args_kwargs__args__0="b").update(
        enqueued_at=timezone.now() - timedelta(minutes=5)
    )
    assert (probes.queue_depth(), probes.failed_task_count()) == (2, 1)
    assert probes.oldest_ready_age() >= timedelta(minutes=5)


def test_with_rq_the_probe_says_in_one_line_that_redis_is_unreachable(settings):
    settings.TASKS_BACKEND = "rq"
    settings.CHEESESHOP_RQ_URL = "redis://:secret@127.0.0.1:1/0"
    settings.RQ_QUEUES = {"default": {"URL": settings.CHEESESHOP_RQ_URL}}
    assert probes.queue_problem() == (
        "RQ at redis://127.0.0.1:1/0 unreachable: connection refused"
    )


def test_with_rq_the_probe_passes_and_counts_the_waiting_jobs(settings, tmp_path):
    with running_redis(tmp_path) as url:
        settings.TASKS_BACKEND = "rq"
        settings.CHEESESHOP_RQ_URL = url
        settings.RQ_QUEUES = {"default": {"URL": url}}
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
        assert probes.queue_problem() is None
        assert probes.queue_depth() == 0
        sample_tasks.nap.enqueue("a", 0)
        sample_tasks.nap.using(run_after=timezone.now() + timedelta(hours=1)).enqueue("b", 0)
        assert (probes.queue_depth(), probes.failed_task_count()) == (2, 0)
