"""Retention: removing events older than CHEESESHOP_AUDIT_RETENTION_DAYS, as a recorded step.

The default, 0, keeps every event forever. When a retention period is set, expiry removes the
oldest events (a prefix of the chain: everything up to the last event older than the period) and
records an ``audit:expire`` event, in the same transaction, naming the range removed and the
chain hash at the cut. ``verify_chain`` starts from that hash, so the chain stays verifiable.

This is the only code that deletes events. On PostgreSQL the append-only trigger lets a DELETE
through only while the transaction has set ``cheeseshop.audit_expiry`` to ``on``, which expiry
does around its one DELETE statement.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from cheeseshop.audit import chain
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import Credential, record_event

EXPIRY_SETTING = "cheeseshop.audit_expiry"  # checked by the trigger (migration 0003)


@dataclass(frozen=True)
class Expiry:
    """What one expiry removed, and the event recording it."""

    removed: int
    first_sequence: int
    through_sequence: int
    before: datetime
    event: Event


def retention_days() -> int:
    """Days events are kept; 0 keeps them forever."""
    return settings.CHEESESHOP_AUDIT_RETENTION_DAYS


def _allow_expiry_delete(using: str, allowed: bool) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # is_local=true: the setting ends with the transaction at the latest.
            cursor.execute(
                "SELECT set_config(%s, %s, true)", [EXPIRY_SETTING, "on" if allowed else "off"]
            )


def expire_events(
    days: int, *, credential: Credential, now: datetime | None = None
) -> Expiry | None:
    """Remove the events older than ``days`` days and record that; None if none were.

    The chain's lock is held from choosing the cut to recording it, so no event can be appended
    in between.
    """
    if days < 1:
        raise ValueError("expire_events needs a retention period of at least one day")
    before = (now or timezone.now()) - timedelta(days=days)
    using = router.db_for_write(Event)
    with transaction.atomic(using=using):
        chain.lock_chain(using)
        old = Event.objects.using(using).filter(time__lt=before)
        through = old.order_by("-sequence").values_list("sequence", "chain_hash").first()
        if through is None:
            return None
        through_sequence, chain_hash_at_cut = through
        removed_events = Event.objects.using(using).filter(sequence__lte=through_sequence)
        first_sequence = removed_events.order_by("sequence").values_list("sequence", flat=True)[0]
        removed = removed_events.count()
        event = record_event(
            EventTag.AUDIT_EXPIRE,
            credential=credential,
            additional={
                "retention_days": days,
                "before": before.isoformat(),
                "removed": removed,
                "first_sequence": first_sequence,
                "through_sequence": through_sequence,
                "chain_hash_at_cut": chain_hash_at_cut,
            },
        )
        _allow_expiry_delete(using, True)
        removed_events.delete()
        _allow_expiry_delete(using, False)
    return Expiry(removed, first_sequence, through_sequence, before, event)
