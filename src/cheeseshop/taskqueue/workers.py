"""``cheeseshop worker``: the configured backend's worker, one process or several.

- database: django-tasks-db's worker with leases and retries (``database_worker``); with
  ``--concurrency N`` above 1, N such processes, each restarted if it dies.
- rq: RQ's worker (``rq_worker.LeasedWorker``, running django-tasks-rq's jobs); with N above 1,
  RQ's worker pool of N processes, which also restarts those that die.
"""

import logging
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.db import connections
from django.utils.crypto import get_random_string

logger = logging.getLogger("cheeseshop.taskqueue")

# How often the database worker looks for a task when it found none (seconds).
POLL_INTERVAL = 0.1


class NothingToRun(Exception):
    """The configured task backend has no worker (immediate runs tasks inline)."""


def queue_names(queues: str | None) -> list[str]:
    """The queues named on the command line (comma-separated), or all of ours."""
    names = [name.strip() for name in (queues or "").split(",") if name.strip()]
    unknown = sorted(set(names) - set(settings.TASK_QUEUES))
    if unknown:
        raise ValueError(
            f"--queues names no queue of this index: {', '.join(unknown)} "
            f"(its queues: {', '.join(settings.TASK_QUEUES)})"
        )
    return names or list(settings.TASK_QUEUES)


def run(concurrency: int, names: list[str]) -> int:
    """Run ``concurrency`` workers of the configured backend on the queues ``names`` until
    stopped; the exit status."""
    if settings.TASKS_BACKEND == "database":
        if concurrency > 1:
            return _run_processes(concurrency, names)
        return _run_database_worker(names)
    if settings.TASKS_BACKEND == "rq":
        return _run_rq_workers(concurrency, names)
    raise NothingToRun(
        f"CHEESESHOP_TASKS_BACKEND={settings.TASKS_BACKEND} has no worker to run: tasks run "
        "where they are enqueued (use database or rq for background workers)"
    )


def _run_database_worker(names: list[str], *, stop_signals: tuple[int, ...] = ()) -> int:
    """django-tasks-db's worker until SIGTERM, SIGINT or one of ``stop_signals``: it finishes
    the task in hand, then returns."""
    from cheeseshop.taskqueue.database_worker import LeasedWorker

    worker = LeasedWorker(
        queue_names=names,
        interval=POLL_INTERVAL,
        batch=False,
        backend_name="default",
        startup_delay=True,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    worker.configure_signals()
    for signum in stop_signals:
        signal.signal(signum, worker.shutdown)
    worker.run()
    return 0


def _run_processes(concurrency: int, names: list[str]) -> int:
    """N single-process workers, each started again if it dies, until SIGTERM or Ctrl-C."""
    command = [sys.executable, "-m", "cheeseshop.cli", "worker", "--queues", ",".join(names)]
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        if not stopping:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)  # each finishes its task, then exits
        stopping = True

    # Each child in a session of its own: the signals it gets are the ones passed on here.
    # The command is this very program (sys.executable), with no outside input.
    children = [
        subprocess.Popen(command, start_new_session=True)  # noqa: S603
        for _ in range(concurrency)
    ]
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for index, child in enumerate(children):
            if child.poll() is not None and not stopping:
                logger.warning(
                    "worker process %d exited with %s; starting another",
                    child.pid,
                    child.returncode,
                )
                children[index] = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        time.sleep(0.5)
    for child in children:
        child.wait()
    return 0


def _run_rq_workers(concurrency: int, names: list[str]) -> int:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.worker_pool import WorkerPool

    from cheeseshop.taskqueue.rq_worker import LeasedWorker, RetryingQueue

    connection = django_rq.get_connection(names[0])
    # Forked workers must not share this process's database connections.
    connections.close_all()
    level = settings.LOG_LEVEL
    if concurrency > 1:
        pool = WorkerPool(
            names,
            connection=connection,
            num_workers=concurrency,
            worker_class=LeasedWorker,
            job_class=Job,
            queue_class=RetryingQueue,
        )
        pool.start(logging_level=level)
        return 0
    worker = LeasedWorker(
        [RetryingQueue(name, connection=connection, job_class=Job) for name in names],
        connection=connection,
        job_class=Job,
        queue_class=RetryingQueue,
    )
    worker.work(with_scheduler=True, logging_level=level)
    return 0


def run_beside_the_web_server() -> int:
    """The task worker of ``cheeseshop serve``: a uWSGI mule, forked from the master that has
    loaded the site, so it shares those pages with the web workers instead of importing Django
    a second time (a separate ``cheeseshop worker`` process costs ~80 MB more). uWSGI stops its
    mules with SIGHUP: like SIGTERM, the task in hand is finished first."""
    return _run_database_worker(queue_names(None), stop_signals=(signal.SIGHUP,))
