"""Tasks enqueued atomically with the change that calls for them, whatever the backend.

With the database backend a task is a row of the same database: enqueued inside the change's
transaction, it exists exactly when the change does. RQ lives in Redis, outside the transaction:
enqueued before the commit, a worker may run it before the change is visible (or for a change
rolled back); enqueued after, it is lost if the process dies between the commit and the enqueue
(django-rq's own "on commit" mode has that gap).

So for RQ the task is first written to an outbox: a ``PendingTask`` row, in the change's
transaction. After the commit the same process relays it to RQ and deletes the row. A row left
behind — the process died in between, or Redis did not answer — is relayed by an RQ worker
(``cheeseshop worker``), which looks for rows older than OUTBOX_GRACE at each of its maintenance
rounds (every CHEESESHOP_TASK_LEASE seconds). A task is relayed at least once: a relay that dies
after RQ accepted the task but before deleting its row relays it again, which our idempotent
tasks allow. The row is locked while it is relayed, so two relays do not both send it.

RQ stays the queue that runs and retries tasks; the outbox only closes the gap before it.
"""

import logging
from datetime import timedelta

from django.db import router, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from cheeseshop.taskqueue.models import PendingTask

logger = logging.getLogger("cheeseshop.taskqueue")

# How old a row must be before a worker relays it: the committing process relays its own rows
# within milliseconds; a worker relaying them too would only duplicate them.
OUTBOX_GRACE = timedelta(seconds=10)


def _enqueues_in_transaction(task) -> bool:
    """Whether ``task``'s backend keeps tasks as rows of the outbox's database (django-tasks-db):
    then enqueuing inside the transaction is atomic by itself, and costs no commit of its own."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return isinstance(task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == router.db_for_write(PendingTask)
    )


def _runs_here_or_nowhere(task) -> bool:
    """Whether ``task``'s backend runs tasks here and now (immediate) or keeps them in memory
    (dummy, for tests) rather than handing them to another process (RQ)."""
    from django_tasks.backends.dummy import DummyBackend
    from django_tasks.backends.immediate import ImmediateBackend

    return isinstance(task.get_backend(), (ImmediateBackend, DummyBackend))


def enqueue_after_commit(task, *args) -> None:
    """Have ``task(*args)`` run once the current transaction has committed: never for a change
    rolled back, and never lost once the change is committed."""
    if _enqueues_in_transaction(task):
        task.enqueue(*args)
    elif _runs_here_or_nowhere(task):
        transaction.on_commit(lambda: task.enqueue(*args))
    else:
        pending = PendingTask.objects.create(task_path=task.module_path, args=list(args))
        transaction.on_commit(lambda: relay([pending.pk]))


def relay(pending_ids) -> int:
    """Hand the outbox rows ``pending_ids`` to their backend, deleting each once handed; the
    number relayed. A row another process is relaying, or already relayed, is skipped."""
    relayed = 0
    for pending_id in pending_ids:
        try:
            with transaction.atomic():
                pending = (
                    PendingTask.objects.select_for_update(skip_locked=True)
                    .filter(pk=pending_id)
                    .first()
                )
                if pending is None:
                    continue
                import_string(pending.task_path).enqueue(*pending.args)
                pending.delete()
                relayed += 1
        except Exception as exc:  # Redis away: the row waits for a worker's next round
            logger.warning(
                "task %s not yet handed to the queue (%s: %s); a worker will relay it",
                pending_id,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
            )
    return relayed


def relay_left_behind() -> int:
    """Relay the outbox rows their own process did not (called by the workers)."""
    cutoff = timezone.now() - OUTBOX_GRACE
    left = list(
        PendingTask.objects.filter(created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    relayed = relay(left)
    if relayed:
        logger.info("relayed %d task(s) left in the outbox", relayed)
    return relayed
