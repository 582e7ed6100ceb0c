"""Retention: expiry removes the oldest events only, records that it did, and leaves a chain
that still verifies; nothing else may delete events."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cheeseshop.audit.chain import verify_chain
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.retention import expire_events, retention_days
from cheeseshop.audit.services import CLI, record_event
from cheeseshop.audit.tasks import expire_audit_events
from tests.audit.tampering import execute_refused, on_postgresql, tamper
from tests.conftest import fresh_settings

pytestmark = pytest.mark.django_db


def record(count: int) -> list[Event]:
    return [
        record_event(EventTag.ACCOUNT_LOGOUT, credential=CLI, additional={"n": n})
        for n in range(count)
    ]


def expire_before(moment, days: int = 30):
    """Expire as if today were ``days`` days after ``moment``: events before it go."""
    return expire_events(days, credential=CLI, now=moment + timedelta(days=days))


def test_expiry_removes_the_old_events_and_records_the_cut():
    old = record(3)
    cut = timezone.now()
    kept = record(2)

    expiry = expire_before(cut)

    assert (expiry.removed, expiry.first_sequence, expiry.through_sequence) == (3, 1, 3)
    remaining = list(Event.objects.order_by("sequence").values_list("id", flat=True))
    assert remaining == [kept[0].id, kept[1].id, expiry.event.id]
    event = Event.objects.get(pk=expiry.event.id)
    assert event.tag == "audit:expire"
    assert event.sequence == 6
    assert event.credential == {"method": "cli"}
    assert event.additional == {
        "retention_days": 30,
        "before": cut.isoformat(),
        "removed": 3,
        "first_sequence": 1,
        "through_sequence": 3,
        "chain_hash_at_cut": old[2].chain_hash,
    }


def test_the_chain_verifies_from_the_cut_after_expiry():
    record(3)
    cut = timezone.now()
    record(2)
    expire_before(cut)

    result = verify_chain()
    assert result.intact, result.broken
    assert (result.count, result.first_sequence, result.last_sequence) == (3, 4, 6)


def test_the_chain_verifies_after_two_expiries_and_new_events():
    record(2)
    first_cut = timezone.now()
    record(2)
    expire_before(first_cut)
    second_cut = timezone.now()
    record(2)
    second = expire_before(second_cut)  # also removes the first expiry's own event
    record(1)

    assert second.removed == 3
    assert not Event.objects.filter(sequence__lte=5).exists()
    result = verify_chain()
    assert result.intact, result.broken
    assert (result.first_sequence, result.last_sequence) == (6, 9)


def test_expiry_of_every_event_leaves_its_own_record_verifiable():
    record(3)
    expiry = expire_before(timezone.now())
    assert expiry.removed == 3
    assert list(Event.objects.values_list("sequence", flat=True)) == [4]
    assert verify_chain().intact


def test_nothing_old_enough_means_nothing_removed_and_nothing_recorded():
    record(2)
    assert expire_events(30, credential=CLI) is None
    assert Event.objects.count() == 2
    assert not Event.objects.filter(tag="audit:expire").exists()


def test_expiry_refuses_a_period_shorter_than_a_day():
    record(1)
    with pytest.raises(ValueError, match="at least one day"):
        expire_events(0, credential=CLI)
    assert Event.objects.count() == 1


def test_forging_the_hash_at_the_cut_breaks_the_chain():
    record(3)
    cut = timezone.now()
    kept = record(2)
    expiry = expire_before(cut)
    forged = '{"through_sequence": 3, "chain_hash_at_cut": "' + "a" * 64 + '"}'
    sql = "UPDATE audit_event SET additional = %s WHERE id = %s"
    if on_postgresql():
        sql = sql.replace("= %s WHERE", "= %s::jsonb WHERE")
    tamper(sql, [forged, expiry.event.id])

    result = verify_chain()
    assert result.broken.event_id == kept[0].id


def test_the_expiry_door_closes_after_its_delete_on_postgresql():
    if not on_postgresql():
        pytest.skip("the append-only trigger is PostgreSQL's")
    record(2)
    cut = timezone.now()
    record(1)
    with transaction.atomic():
        expire_before(cut)
        # Still inside the expiry's transaction: another DELETE is refused again.
        execute_refused("DELETE FROM audit_event", operation="DELETE")
    assert Event.objects.count() == 2


def test_retention_defaults_to_keeping_events_forever(monkeypatch):
    # The default is settings.py's, for an environment that does not set the variable.
    monkeypatch.delenv("CHEESESHOP_AUDIT_RETENTION_DAYS", raising=False)
    assert fresh_settings().CHEESESHOP_AUDIT_RETENTION_DAYS == 0
    assert retention_days() == 0


def test_the_task_removes_nothing_when_retention_is_forever(settings):
    settings.CHEESESHOP_AUDIT_RETENTION_DAYS = 0
    record(2)
    assert expire_audit_events.call() == {"retention_days": 0, "removed": 0}
    assert Event.objects.count() == 2


def test_the_task_applies_the_configured_retention(settings, monkeypatch):
    settings.CHEESESHOP_AUDIT_RETENTION_DAYS = 7
    record(2)
    later = timezone.now() + timedelta(days=8)
    monkeypatch.setattr("cheeseshop.audit.retention.timezone.now", lambda: later)
    monkeypatch.setattr("cheeseshop.audit.chain.timezone.now", lambda: later)

    result = expire_audit_events.call()

    assert result["removed"] == 2
    event = Event.objects.get(tag="audit:expire")
    assert event.credential == {"method": "task", "task": "expire_audit_events"}
    assert verify_chain().intact
