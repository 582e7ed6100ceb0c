"""The audit trail's hash chain: appending an event, and checking that none was changed.

Each event stores ``sequence`` (the previous event's plus one) and ``chain_hash`` =
SHA-256(previous chain hash + canonical JSON of the event's content, sequence and time
included). The hash is computed once, when the event is inserted, never by an UPDATE. Changing
any stored field of an event breaks its own link; removing an event leaves a gap in the
sequence. The retention policy removes the oldest events only, and records the chain hash at the
cut in an ``audit:expire`` event, so the chain stays verifiable from the cut onwards.

Appending takes a lock for the rest of the transaction so that the chain stays linear when
requests record events concurrently: on PostgreSQL an advisory lock; SQLite (in IMMEDIATE
transaction mode) already runs one writing transaction at a time. The unique constraint on
``sequence`` refuses a fork on any database.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import connections, router, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.prepared import PreparedQuery

GENESIS_HASH = "0" * 64  # the "previous hash" of the first event ever recorded
# pg_advisory_xact_lock key held while appending ("cheese_a" as a 64-bit integer).
CHAIN_LOCK_KEY = int.from_bytes(b"cheese_a", "big") - 2**63
# The fields a chain hash covers: everything an event stores except its database id.
CONTENT_FIELDS = (
    "sequence",
    "tag",
    "time",
    "user_id",
    "project_id",
    "file_id",
    "actor_id",
    "credential",
    "ip_hash",
    "ip_prefix",
    "user_agent",
    "user_agent_info",
    "additional",
)
VERIFY_CHUNK_SIZE = 2000


def _canonical_json_value(value: Any) -> Any:
    # PostgreSQL's jsonb gives 1e20 back as an integer: integral floats hash as integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json_value(item) for item in value]
    return value


def canonical_content(fields: dict[str, Any]) -> str:
    """The canonical JSON of an event's content: ``fields`` holds CONTENT_FIELDS."""
    content = {name: fields[name] for name in CONTENT_FIELDS}
    content["time"] = content["time"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        _canonical_json_value(content),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def link_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """The chain hash of an event with content ``fields`` following ``previous_hash``."""
    return hashlib.sha256((previous_hash + canonical_content(fields)).encode()).hexdigest()


def content_of(event) -> dict[str, Any]:
    """An event's content fields (works on historical models in migrations too)."""
    return {name: getattr(event, name) for name in CONTENT_FIELDS}


def lock_chain(using: str) -> None:
    """Hold the chain's lock until the current transaction ends (call inside ``atomic``)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


# Read for every append: compiled once (see cheeseshop.prepared).
_HEAD = PreparedQuery(
    lambda: Event.objects.order_by("-sequence").values_list("sequence", "chain_hash")[:1]
)


def chain_head(using: str | None = None) -> tuple[int, str]:
    """The last event's sequence and chain hash; ``(0, GENESIS_HASH)`` before the first."""
    head = _HEAD.first(using=using or router.db_for_read(Event))
    return head or (0, GENESIS_HASH)


def append(event: Event) -> Event:
    """Insert ``event`` (unsaved, content set except sequence and time) as the chain's link."""
    return append_all([event])[0]


def append_all(events: list[Event]) -> list[Event]:
    """Insert ``events`` (as for ``append``), in order, as consecutive links of the chain.

    The head is read once: the lock is held from before that read until the transaction ends,
    so no other transaction can append in between, and each link follows the one just saved.
    """
    using = router.db_for_write(Event)
    # No savepoint: a failure here fails the caller's whole transaction anyway.
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(using)
        sequence, previous_hash = chain_head(using)
        for event in events:
            event.sequence = sequence + 1
            event.time = timezone.now()  # under the lock: times never go back along the chain
            event.chain_hash = link_hash(previous_hash, content_of(event))
            sequence, previous_hash = event.sequence, event.chain_hash
        _insert(events, using)
    return events


def _insert(events: list[Event], using: str) -> None:
    if len(events) == 1 or not connections[using].features.can_return_rows_from_bulk_insert:
        for event in events:
            event.save(force_insert=True, using=using)
        return
    # One INSERT for all (an upload records up to five events); bulk_create sends no post_save,
    # which the receivers of recorded events (owner notifications) listen to: sent here.
    Event.objects.using(using).bulk_create(events)
    for event in events:
        post_save.send(
            sender=Event, instance=event, created=True, update_fields=None, raw=False, using=using
        )


# --- Verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenLink:
    """The first event whose link does not hold, and why."""

    event_id: int
    sequence: int
    reason: str


@dataclass(frozen=True)
class ChainVerification:
    count: int  # events checked
    first_sequence: int | None
    last_sequence: int | None
    head: str  # chain hash of the last event checked (GENESIS_HASH when there is none)
    broken: BrokenLink | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _expiry_anchor(first_sequence: int) -> str | None:
    """The chain hash recorded by the expiry that removed events up to ``first_sequence - 1``."""
    expiries = Event.objects.filter(tag=EventTag.AUDIT_EXPIRE).order_by("-sequence")
    for additional in expiries.values_list("additional", flat=True).iterator():
        if isinstance(additional, dict) and additional.get("through_sequence") == (
            first_sequence - 1
        ):
            anchor = additional.get("chain_hash_at_cut")
            return anchor if isinstance(anchor, str) else None
    return None


def verify_chain() -> ChainVerification:
    """Check every stored event's link, oldest first; stops at the first broken one."""
    rows = Event.objects.order_by("sequence").values("id", *CONTENT_FIELDS, "chain_hash")
    count = 0
    first_sequence = last_sequence = None
    previous_hash = GENESIS_HASH

    def result(broken: BrokenLink | None = None) -> ChainVerification:
        return ChainVerification(count, first_sequence, last_sequence, previous_hash, broken)

    for row in rows.iterator(chunk_size=VERIFY_CHUNK_SIZE):
        reason = None
        if last_sequence is None:
            first_sequence = row["sequence"]
            if first_sequence != 1:
                anchor = _expiry_anchor(first_sequence)
                if anchor is None:
                    reason = _(
                        "events before sequence %(sequence)d are missing, and no audit:expire "
                        "event records their removal"
                    ) % {"sequence": first_sequence}
                else:
                    previous_hash = anchor
        elif row["sequence"] != last_sequence + 1:
            reason = _(
                "the sequence jumps from %(previous)d to %(sequence)d: events are missing"
            ) % {"previous": last_sequence, "sequence": row["sequence"]}
        if reason is None and link_hash(previous_hash, row) != row["chain_hash"]:
            reason = _(
                "the event was changed after it was recorded: its chain hash does not match "
                "its content and the previous event's hash"
            )
        if reason is not None:
            return result(BrokenLink(row["id"], row["sequence"], reason))
        count += 1
        last_sequence = row["sequence"]
        previous_hash = row["chain_hash"]
    return result()
