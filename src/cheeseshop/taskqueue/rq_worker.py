"""RQ's worker and queue, set up so tasks survive their worker and failures are retried.

- ``RetryingQueue`` (django-rq's queue class, from settings.RQ) creates every job with an RQ
  ``Retry``: CHEESESHOP_TASK_MAX_ATTEMPTS runs, backing off as ``retries`` says. RQ retries a
  job that raises; and its cleanup of abandoned jobs (a STARTED job whose worker stopped
  renewing its entry in the StartedJobRegistry: ``kill -9``, a lost machine) re-queues a job
  that has retries left instead of failing it.
- ``LeasedWorker`` renews those entries for CHEESESHOP_TASK_LEASE seconds every third of it
  (RQ's default is a minute past its 30-second monitoring interval), runs RQ's maintenance —
  the abandoned-job cleanup — every lease rather than every 10 minutes, logs each failure as
  the database worker does, and relays what the outbox holds (``outbox.relay_left_behind``).

A job retried after a delay is scheduled: RQ's scheduler (run by one of the workers, which all
start with ``with_scheduler``) moves it back to its queue when due. When the worker holding the
scheduler dies, another takes it over within about a minute (RQ's scheduler lock).
Failed jobs are kept in RQ's FailedJobRegistry: the admin's "Django-RQ" page lists them.
"""

import logging

from django.conf import settings
from django.db import connections
from django_rq.queues import DjangoRQ
from rq import Retry, Worker
from rq.exceptions import AbandonedJobError

from cheeseshop.taskqueue import outbox, retries

logger = logging.getLogger("cheeseshop.taskqueue")


class RetryingQueue(DjangoRQ):
    """A queue whose jobs are retried (and re-queued when abandoned) unless told otherwise."""

    def create_job(self, *args, retry=None, **kwargs):
        delays = retries.retry_delays()
        if retry is None and delays:
            retry = Retry(max=len(delays), interval=delays)
        return super().create_job(*args, retry=retry, **kwargs)


def log_job_failure(job, exc_type, exc_value, traceback) -> bool:
    """An RQ exception handler: one line of ``cheeseshop.taskqueue`` per failed run.

    RQ calls it too for a job found abandoned, just before re-queuing it: that run failed with
    its worker, not by itself, so it is re-queued at once rather than after a delay (still
    counted as an attempt)."""
    limit = settings.CHEESESHOP_TASK_MAX_ATTEMPTS
    left = job.retries_left or 0
    if issubclass(exc_type, AbandonedJobError) and left > 0:
        job.retry_intervals = None  # this once: RQ saves the job without it, keeping the field
    attempt = limit - left
    problem = f"{exc_type.__name__}: {str(exc_value).splitlines()[0] if str(exc_value) else ''}"
    retries.log_failure(
        job.func_name.rsplit(".", 1)[-1],
        job.id,
        attempt,
        problem.rstrip(": "),
        retry_in=job.get_retry_interval() if left > 0 else None,
    )
    return True  # on to RQ's own handlers


class LeasedWorker(Worker):
    """RQ's forking worker, on CHEESESHOP_TASK_LEASE."""

    def __init__(self, *args, **kwargs):
        lease = settings.CHEESESHOP_TASK_LEASE
        kwargs.setdefault("job_monitoring_interval", max(1, lease // 3))
        kwargs.setdefault("maintenance_interval", lease)
        super().__init__(*args, **kwargs)
        self.push_exc_handler(log_job_failure)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker wakes up this often, so the maintenance rounds keep their pace.
        return max(1, settings.CHEESESHOP_TASK_LEASE // 2)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return settings.CHEESESHOP_TASK_LEASE

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            outbox.relay_left_behind()
        except Exception:  # the database away for a moment: the next round relays them
            logger.warning("worker %s: the outbox could not be read", self.name, exc_info=True)
        finally:
            # The work horses are forked from this process: none may inherit its connection.
            connections.close_all()
