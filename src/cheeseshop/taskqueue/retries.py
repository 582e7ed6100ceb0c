"""How often a failing task runs, and what the log says of each failure — the same for both
backends.

A task runs at most CHEESESHOP_TASK_MAX_ATTEMPTS times: the first run, then a retry after
CHEESESHOP_TASK_RETRY_DELAY seconds, doubled before each next one (10, 20, 40, 80 s by default).
A run cut short by its worker's death counts as an attempt too, so a task that kills its worker
(out of memory, say) cannot take every worker down in turn. Each failure is one line of the
``cheeseshop.taskqueue`` logger: WARNING while a retry is due, ERROR when the task is left
FAILED. Retried tasks must be idempotent: ours are (docs/configuration.md, "Background tasks").
"""

import logging

from django.conf import settings

logger = logging.getLogger("cheeseshop.taskqueue")


def retry_delay(attempt: int) -> int:
    """Seconds to wait after the ``attempt``-th run (1 for the first) failed."""
    return settings.CHEESESHOP_TASK_RETRY_DELAY * 2 ** (attempt - 1)


def retry_delays() -> list[int]:
    """The delay before each retry, in order (none when a task runs once only)."""
    return [retry_delay(attempt) for attempt in range(1, settings.CHEESESHOP_TASK_MAX_ATTEMPTS)]


def summary(exception_line: str) -> str:
    """An exception as one line: ``Class: first line of its message``."""
    return exception_line.strip().splitlines()[0] if exception_line.strip() else "unknown error"


def log_failure(task: str, task_id: str, attempt: int, problem: str, retry_in: int | None) -> None:
    """Log a failed run of ``task``: retried in ``retry_in`` seconds, or (None) given up."""
    limit = settings.CHEESESHOP_TASK_MAX_ATTEMPTS
    if retry_in is None:
        logger.error(
            "task %s (%s) failed, attempt %d of %d: %s; giving up: it stays FAILED",
            task,
            task_id,
            attempt,
            limit,
            problem,
        )
    else:
        logger.warning(
            "task %s (%s) failed, attempt %d of %d: %s; retrying in %d s",
            task,
            task_id,
            attempt,
            limit,
            problem,
            retry_in,
        )
