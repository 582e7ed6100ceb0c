"""What the queue looks like from outside: the readiness probe ``queue`` (registered by the app)
and the counts the metrics read.

- database backend: the task table is readable; depth and failures are counts of its rows.
- rq: Redis answers at CHEESESHOP_RQ_URL; depth is the jobs waiting in our queues (scheduled
  retries included), failures the jobs in their FailedJobRegistry.
- immediate: nothing waits, nothing to probe.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import DatabaseError, connections, router
from django.utils import timezone

from cheeseshop.errors import first_line


def _rq_address() -> str:
    """CHEESESHOP_RQ_URL without its password, to name it in a message."""
    bits = urlsplit(settings.CHEESESHOP_RQ_URL)
    host = bits.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if bits.port:
        netloc += f":{bits.port}"
    return urlunsplit((bits.scheme, netloc, bits.path, "", ""))


def _rq_queues():
    import django_rq

    return [django_rq.get_queue(name) for name in settings.TASK_QUEUES]


def _redis_reason(exc: Exception) -> str:
    """redis-py's "Error 111 connecting to host:port. Connection refused." as "connection
    refused" (the address is said once, by the caller)."""
    text = first_line(exc)
    if found := re.fullmatch(r"Error -?\d+ connecting to \S+?\. (.+?)\.?", text):
        text = found[1]
    return text[:1].lower() + text[1:]


def queue_problem() -> str | None:
    """None when the task queue can be used, else what is wrong, in one line."""
    if settings.TASKS_BACKEND == "rq":
        from redis.exceptions import RedisError

        try:
            _rq_queues()[0].connection.ping()
        except RedisError as exc:
            return f"RQ at {_rq_address()} unreachable: {_redis_reason(exc)}"
        return None
    if settings.TASKS_BACKEND == "database":
        return _task_table_problem()
    return None


def _task_table_problem() -> str | None:
    """Whether the task table can be read — once the database answers (else the database
    probe says so) and the table exists (else migrations are pending, which check says)."""
    from django_tasks_db.models import DBTaskResult

    connection = connections[router.db_for_read(DBTaskResult)]
    try:
        connection.ensure_connection()
        if DBTaskResult._meta.db_table not in connection.introspection.table_names():
            return None
    except DatabaseError:
        return None
    try:
        DBTaskResult.objects.exists()
    except DatabaseError as exc:
        return f"task table unreadable: {first_line(exc)}"
    return None


def queue_depth() -> int:
    """Tasks waiting to run (ready now or later: deferred, or waiting for a retry)."""
    if settings.TASKS_BACKEND == "rq":
        from rq.registry import ScheduledJobRegistry

        return sum(queue.count + ScheduledJobRegistry(queue=queue).count for queue in _rq_queues())
    if settings.TASKS_BACKEND == "database":
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()
    return 0


def failed_task_count() -> int:
    """Tasks left failed after their last attempt."""
    if settings.TASKS_BACKEND == "rq":
        return sum(queue.failed_job_registry.count for queue in _rq_queues())
    if settings.TASKS_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.failed().count()
    return 0


def oldest_ready_age() -> timedelta | None:
    """How long the oldest task ready to run now has waited (database backend; None when none
    waits or the backend cannot tell)."""
    if settings.TASKS_BACKEND != "database":
        return None
    from django_tasks_db.models import DBTaskResult

    oldest = (
        DBTaskResult.objects.ready()
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    return None if oldest is None else timezone.now() - oldest
