"""Background audit work: applying the retention policy.

django-tasks has no scheduler: run ``cheeseshop audit expire`` daily from cron, or enqueue
``expire_audit_events`` from whatever schedules tasks. Both record the expiry as an event.
"""

import logging

from django_tasks import task

from cheeseshop.audit.retention import expire_events, retention_days
from cheeseshop.audit.services import Credential

logger = logging.getLogger(__name__)

RETENTION_TASK = Credential("task", {"task": "expire_audit_events"})


@task()
def expire_audit_events() -> dict:
    """Remove events older than CHEESESHOP_AUDIT_RETENTION_DAYS (none when it is 0)."""
    days = retention_days()
    if days < 1:
        return {"retention_days": 0, "removed": 0}
    expiry = expire_events(days, credential=RETENTION_TASK)
    if expiry is None:
        return {"retention_days": days, "removed": 0}
    logger.info(
        "audit retention removed %d events (sequence %d-%d), recorded as event %d",
        expiry.removed,
        expiry.first_sequence,
        expiry.through_sequence,
        expiry.event.id,
    )
    return {
        "retention_days": days,
        "removed": expiry.removed,
        "through_sequence": expiry.through_sequence,
        "event_id": expiry.event.id,
    }
