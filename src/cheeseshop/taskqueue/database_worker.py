"""The database backend's worker: django-tasks-db's, with leases and retries.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a
worker killed with ``kill -9`` (or a machine lost) leaves it RUNNING for good, and a task that
raises is FAILED at once. Here:

- every worker process records a heartbeat (``WorkerHeartbeat``) every third of
  CHEESESHOP_TASK_LEASE seconds, from a thread of its own so a long task keeps it fresh;
- on each heartbeat it also looks for RUNNING tasks claimed more than a lease ago by a worker
  whose heartbeat is older than the lease (or gone), and makes them READY again — or FAILED,
  with ``WorkerLost``, once they have had their CHEESESHOP_TASK_MAX_ATTEMPTS runs;
- a task that raises is made READY again, to run after the retry delay (``retries``), until its
  attempts are spent; its last traceback stays on its row meanwhile (the admin shows it).

A task's attempts are its claims: django-tasks-db appends the claiming worker's id to
``worker_ids`` at each one.
"""

import logging
import os
import socket
import threading
from datetime import timedelta
from traceback import format_exception

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from cheeseshop.taskqueue import retries
from cheeseshop.taskqueue.models import WorkerHeartbeat

logger = logging.getLogger("cheeseshop.taskqueue")


class WorkerLost(Exception):
    """The worker running a task stopped giving signs of life before the task finished."""


def lease() -> timedelta:
    return timedelta(seconds=settings.CHEESESHOP_TASK_LEASE)


def beat(worker_id: str, started_at) -> None:
    """Record that ``worker_id`` (this process) is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": timezone.now()},
        create_defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def reclaim_abandoned_tasks() -> int:
    """Give back to the queue every RUNNING task whose worker's lease has expired; the number
    given back (or failed for good). Any live worker may call this at any time."""
    cutoff = timezone.now() - lease()
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    reclaimed = 0
    for task in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        if worker not in alive:
            reclaimed += _reclaim(task, worker)
    # A dead worker's heartbeat has served its purpose once its tasks are back in the queue.
    WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).delete()
    return reclaimed


def _reclaim(task: DBTaskResult, worker: str) -> int:
    attempt = len(task.worker_ids)
    problem = (
        f"WorkerLost: worker {worker or '?'} gave no sign of life for "
        f"{settings.CHEESESHOP_TASK_LEASE} s"
    )
    # Only if it is still the same run (same claim): another worker may have acted meanwhile.
    same_run = DBTaskResult.objects.filter(
        pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
    )
    if attempt < settings.CHEESESHOP_TASK_MAX_ATTEMPTS:
        changed = same_run.update(status=TaskResultStatus.READY)
        if changed:
            retries.log_failure(task.task_name, str(task.pk), attempt, problem, retry_in=0)
        return changed
    lost = WorkerLost(problem.removeprefix("WorkerLost: "))
    changed = same_run.update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="".join(format_exception(lost)),
    )
    if changed:
        retries.log_failure(task.task_name, str(task.pk), attempt, problem, retry_in=None)
    return changed


def retry_or_give_up(task: DBTaskResult) -> None:
    """After ``task`` (just set FAILED by its run) failed: READY again after the retry delay
    while it has attempts left; else it stays FAILED."""
    attempt = len(task.worker_ids)
    problem = retries.summary(task.traceback.strip().splitlines()[-1] if task.traceback else "")
    if attempt >= settings.CHEESESHOP_TASK_MAX_ATTEMPTS:
        retries.log_failure(task.task_name, str(task.pk), attempt, problem, retry_in=None)
        return
    delay = retries.retry_delay(attempt)
    DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now() + timedelta(seconds=delay),
        finished_at=None,
    )
    retries.log_failure(task.task_name, str(task.pk), attempt, problem, retry_in=delay)


class LeasedWorker(Worker):
    """django-tasks-db's worker, holding a lease on what it runs and retrying failures."""

    def run(self) -> None:
        started_at = timezone.now()
        beat(self.worker_id, started_at)
        reclaim_abandoned_tasks()  # what workers silent for a lease left running, at once
        stop = threading.Event()
        heart = threading.Thread(
            target=self._keep_beating, args=(stop, started_at), name="heartbeat", daemon=True
        )
        heart.start()
        try:
            super().run()
        finally:
            stop.set()
            heart.join(timeout=5)
            # Stopped cleanly: nothing of ours is running any more.
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _keep_beating(self, stop: threading.Event, started_at) -> None:
        interval = max(1.0, settings.CHEESESHOP_TASK_LEASE / 3)
        try:
            while not stop.wait(interval):
                try:
                    close_old_connections()
                    beat(self.worker_id, started_at)
                    reclaim_abandoned_tasks()
                except Exception:  # the database may be away for a moment: beat again later
                    logger.warning("worker %s: heartbeat failed", self.worker_id, exc_info=True)
        finally:
            connection.close()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if db_task_result.status == TaskResultStatus.FAILED:
            retry_or_give_up(db_task_result)
