"""Tasks enqueued with the change that calls for them: with the database backend, rows of its
transaction; with RQ, outbox rows relayed after the commit (on a redis-server of the test's
own), or by a worker when their process did not."""

from datetime import timedelta

import django_rq
import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cheeseshop.taskqueue import outbox
from cheeseshop.taskqueue.models import PendingTask
from tests.processes import running_redis
from tests.taskqueue import sample_tasks

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def enqueue_in_a_change_rolled_back(*args) -> None:
    with transaction.atomic():
        outbox.enqueue_after_commit(sample_tasks.nap, *args)
        raise Rollback


@pytest.fixture
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def rq_backend(settings, tmp_path):
    with running_redis(tmp_path) as url:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
        settings.RQ_QUEUES = {"default": {"URL": url}}
        settings.RQ = {"QUEUE_CLASS": "cheeseshop.taskqueue.rq_worker.RetryingQueue"}
        yield django_rq.get_queue("default")


def test_with_the_database_backend_the_task_is_a_row_of_the_changes_transaction(
    database_backend,
):
    with transaction.atomic():
        outbox.enqueue_after_commit(sample_tasks.nap, "kept", 0)
        assert DBTaskResult.objects.count() == 1, "written before the commit, with the change"
    with pytest.raises(Rollback):
        enqueue_in_a_change_rolled_back("rolled back", 0)
    assert [r.args_kwargs["args"] for r in DBTaskResult.objects.all()] == [["kept", 0]]
    assert not PendingTask.objects.exists()


def test_with_rq_the_task_is_handed_over_after_the_commit_and_its_row_removed(
    rq_backend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue_after_commit(sample_tasks.nap, "marker", 0)
        assert PendingTask.objects.count() == 1
        assert rq_backend.count == 0, "nothing reaches RQ before the commit"

    assert not PendingTask.objects.exists()
    (job,) = rq_backend.get_jobs()
    assert job.func_name == "tests.taskqueue.sample_tasks.nap"
    assert list(job.args) == ["marker", 0]
    assert job.retries_left == 4, "CHEESESHOP_TASK_MAX_ATTEMPTS=5: 4 retries"


def test_with_rq_a_change_rolled_back_hands_nothing_over(
    rq_backend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback):
        enqueue_in_a_change_rolled_back("marker", 0)
    assert not PendingTask.objects.exists()
    assert rq_backend.count == 0


def test_a_row_redis_did_not_take_waits_for_a_workers_round(
    rq_backend, settings, django_capture_on_commit_callbacks, caplog
):
    working = settings.RQ_QUEUES
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}  # nothing listens
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue_after_commit(sample_tasks.nap, "marker", 0)
    assert PendingTask.objects.count() == 1
    assert "not yet handed to the queue (ConnectionError" in caplog.text

    settings.RQ_QUEUES = working
    assert outbox.relay_left_behind() == 0, "too young: its own process may still relay it"
    PendingTask.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert outbox.relay_left_behind() == 1
    assert not PendingTask.objects.exists()
    assert rq_backend.count == 1
